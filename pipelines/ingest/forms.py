"""The form of a drop (contract files or FHIR R4) and the reader of each form.

A minimal version, written on the `fhir` branch while the `omop` branch's dispatch (which
adds OMOP and `cohortscan scan --format`) was not yet on main; it has the same names
(`FORMS`, `READERS`, `detect_form`, `read_drop`), so that merging both keeps that one and
adds the line `"fhir": fhir.ingest_fhir_drop` to its READERS.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

from pipelines.ingest import fhir
from pipelines.ingest import load as ingest

FORMS = ("contract", "fhir")

Reader = Callable[..., list[ingest.FileResult]]
READERS: dict[str, Reader] = {
    "contract": ingest.ingest_drop,
    "fhir": fhir.ingest_fhir_drop,
}


def detect_form(drop: Path) -> str:
    """`fhir` when a file of the drop is FHIR JSON (an `.ndjson`, `.ndjson.gz`, `.jsonl` or
    `.json` file naming a resourceType), otherwise `contract`."""
    if not drop.is_dir():
        return "contract"  # the contract reader says what is wrong with the path
    files = [p for p in drop.iterdir() if p.is_file() and not p.name.startswith(".")]
    return "fhir" if any(fhir.looks_like_fhir(p) for p in files) else "contract"


def read_drop(
    con: duckdb.DuckDBPyConnection,
    drop: Path,
    run_id: str,
    progress: Callable[[str], None] | None = None,
    *,
    form: str | None = None,
) -> list[ingest.FileResult]:
    """Load a drop with the reader of `form`, or of the form its files show."""
    return READERS[form or detect_form(drop)](con, drop, run_id, progress)
