"""The form of a drop (contract files, OMOP CDM, FHIR R4) and the reader of each form.

`detect_form` tells the form from the drop's files; `read_drop` loads a drop with the
reader of its form (or of the form given, `cohortscan scan --format`). Every reader has
the signature of `ingest.ingest_drop` and gives the same guarantees: every row loaded or
quarantined with its place and a reason, one ledger row per file, files loaded before
skipped. A form is added by writing its reader and naming it in `READERS`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import duckdb

from pipelines.errors import DropRefused
from pipelines.ingest import fhir, omop
from pipelines.ingest import load as ingest

FORMS = ("contract", "omop", "fhir")

Reader = Callable[..., list[ingest.FileResult]]
READERS: dict[str, Reader] = {
    "contract": ingest.ingest_drop,
    "omop": omop.ingest_omop_drop,
    "fhir": fhir.ingest_fhir_drop,
}

# The first "resourceType" of a JSON file is the top-level resource's in FHIR JSON.
_RESOURCE_TYPE = re.compile(rb'"resourceType"\s*:\s*"([A-Za-z]+)"')
_JSON_PEEK_BYTES = 1 << 16


def detect_form(drop: Path) -> str:
    """`fhir`, `omop` or `contract`: the form of a drop, from its files' names.

    fhir: a `.ndjson` file (bulk data, any naming, `.ndjson.gz` too), or a `.json` file
    whose top-level resourceType is Bundle. omop: a PERSON table file (any case, `.csv`,
    `.csv.gz` or `.parquet`), or a DuckDB database file (the drop itself or its folder's
    only one). Otherwise contract.
    """
    if omop.database_file(drop) is not None:
        return "omop"
    if not drop.is_dir():
        return "contract"  # the contract reader says what is wrong with the path
    files = [p for p in drop.iterdir() if p.is_file() and not p.name.startswith(".")]
    if any(_is_fhir_file(p) or fhir.looks_like_fhir(p) for p in files):
        return "fhir"
    if omop.is_omop_drop(drop):
        return "omop"
    return "contract"


def _is_fhir_file(path: Path) -> bool:
    name = path.name.lower()
    if name.endswith((".ndjson", ".ndjson.gz")):
        return True
    if not name.endswith(".json"):
        return False
    with path.open("rb") as handle:
        found = _RESOURCE_TYPE.search(handle.read(_JSON_PEEK_BYTES))
    return found is not None and found.group(1) == b"Bundle"


def reader_for(form: str) -> Reader:
    """The reader of a form; a form without one is a refused drop (exit status 2)."""
    if form not in FORMS:
        raise DropRefused(f"unknown drop format {form!r} (expected {', '.join(FORMS)})")
    if form not in READERS:
        raise DropRefused(f"drop format {form!r} has no reader in this version of cohortscan")
    return READERS[form]


def read_drop(
    con: duckdb.DuckDBPyConnection,
    drop: Path,
    run_id: str,
    progress: Callable[[str], None] | None = None,
    *,
    form: str | None = None,
) -> list[ingest.FileResult]:
    """Load a drop with the reader of `form`, or of the form its files show."""
    return reader_for(form or detect_form(drop))(con, drop, run_id, progress)
