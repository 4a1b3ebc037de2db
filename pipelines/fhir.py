"""Read a FHIR R4 drop (bulk-data ndjson, Bundles as JSON) into the contract's raw tables.

A FHIR file is read by DuckDB, never line by line in Python: an ndjson file as lines
(`read_csv` with one text column, so that every line keeps its number), a JSON document
whole (`read_text`); `sql/inputs/fhir/fhir_resources.sql` opens Bundles into entries and
resolves each resource's patient. One view per contract kind maps the resources of its
types onto the kind's columns (`fhir_patients`, `fhir_conditions`, `fhir_observations`,
`fhir_medications`, `fhir_procedures`), as text; the contract's own checks
(`sql/ingest/check_<kind>.sql`) then type and check them, exactly as for a CSV file.

The unit of account is the resource: rows read = resources loaded + resources
quarantined, per file. A resource loads when every row it gives passes (a Condition
with an ICD-10-CM and a SNOMED CT coding gives two diagnoses rows); otherwise it goes to
`quarantine` once, with its place (`line 4`, `entry 12`: the line for ndjson, the
Bundle entry for a JSON document, whose `quarantine.line` is then NULL), its type and id,
and every reason. Resources of types the contract has no kind for (Encounter, Claim,
DiagnosticReport, ...) are not rows: the ledger's message counts them by type.

Only the elements a view names are read: a Patient's name, address, telecom,
identifier, photo, contact and extensions (but the site extension) never leave the
file, and the quarantine keeps a resource's type, id and place, never its content.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from pipelines import contract, ingest
from pipelines.errors import FileRefused
from pipelines.ingest import FileResult
from pipelines.settings import SQL_DIR
from pipelines.warehouse import first_row, ident, read_sql, run_sql_file, scalar

FHIR_SQL_DIR = SQL_DIR / "inputs" / "fhir"
SUFFIXES = (".ndjson", ".ndjson.gz", ".jsonl", ".json")
# Longest ndjson line read (a Bundle on one line can be long).
MAX_LINE_BYTES = 256 * 1024 * 1024

# Contract kind -> the view mapping onto it, and the resource types it reads.
VIEWS: dict[str, tuple[str, tuple[str, ...]]] = {
    "patients": ("fhir_patients", ("Patient",)),
    "diagnoses": ("fhir_conditions", ("Condition",)),
    "labs": ("fhir_observations", ("Observation",)),
    "medications": ("fhir_medications", ("MedicationRequest", "MedicationStatement", "Immunization")),
    "procedures": ("fhir_procedures", ("Procedure",)),
}
# Read for what they say about other resources (a Medication's code), not loaded.
SUPPORTING_TYPES = ("Medication",)


def is_fhir_file(path: Path) -> bool:
    """A file a FHIR drop may hold: `.ndjson`, `.ndjson.gz`, `.jsonl` or `.json`."""
    return path.name.lower().endswith(SUFFIXES)


def looks_like_fhir(path: Path) -> bool:
    """True if a file has a FHIR name and its first 4 KiB name a resourceType."""
    if not is_fhir_file(path):
        return False
    if path.name.lower().endswith(".gz"):
        return True
    with path.open("rb") as handle:
        return b'"resourceType"' in handle.read(4096)


def kinds_read() -> dict[str, tuple[str, tuple[str, ...]]]:
    """The views whose contract kind exists (procedures came with contract version 2)."""
    return {kind: view for kind, view in VIEWS.items() if kind in contract.KINDS}


def ingest_fhir_drop(
    con: duckdb.DuckDBPyConnection,
    drop: Path,
    run_id: str,
    progress: Callable[[str], None] | None = None,
    *,
    site_extension: str | None = None,
    default_site: str | None = None,
) -> list[FileResult]:
    """Load every new file of a FHIR drop, one after the other in file name order.

    `site_extension`: the URL of a Patient extension holding the site; `default_site`:
    the site of a Patient with neither that extension nor a managingOrganization
    (default: the drop folder's name, a FHIR export coming from one site).
    """
    paths = ingest.discover(drop)
    _prepare(con, paths, site_extension, default_site or drop.name)
    results = []
    for path in paths:
        result = ingest_fhir_file(con, path, run_id)
        results.append(result)
        if progress:
            progress(ingest.describe(result))
    return results


def _prepare(con: duckdb.DuckDBPyConnection, paths: list[Path], site_extension: str | None, site: str) -> None:
    """Macros, code-system and route tables, settings, and the drop's Medications."""
    run_sql_file(con, FHIR_SQL_DIR / "fhir_macros.sql")
    con.execute("set variable fhir_site_extension = ?", [site_extension])
    con.execute("set variable fhir_default_site = ?", [site])
    con.execute(
        "create or replace temp table _fhir_code_systems as select system_uri, code_system, "
        "string_split(kinds, ' ') as kinds from read_csv(?, all_varchar = true)",
        [str(FHIR_SQL_DIR / "data" / "code_systems.csv")],
    )
    con.execute(
        "create or replace temp table _fhir_routes as select system_uri, code, route "
        "from read_csv(?, all_varchar = true)",
        [str(FHIR_SQL_DIR / "data" / "routes.csv")],
    )
    con.execute("create or replace temp table _fhir_drop_resources (full_url varchar, resource json)")
    for path in paths:
        if not looks_like_fhir(path):
            continue
        try:
            _read_lines(con, path)
        except FileRefused:
            continue  # refused again, with its reason, when its turn comes
        if not scalar(con, "select count(*) from _fhir_lines where contains(text, '\"Medication\"')"):
            continue
        con.execute(f"create or replace temp table fhir_resources as {read_sql(FHIR_SQL_DIR / 'fhir_resources.sql')}")
        con.execute(
            "insert into _fhir_drop_resources select full_url, resource "
            "from fhir_resources where resource_type = 'Medication'"
        )
        con.execute("drop table fhir_resources")
    con.execute(
        f"create or replace temp table _fhir_medication_codes as "
        f"{read_sql(FHIR_SQL_DIR / 'fhir_medication_codes.sql')}"
    )
    _drop_temp_tables(con)


def ingest_fhir_file(con: duckdb.DuckDBPyConnection, path: Path, run_id: str) -> FileResult:
    """Load one FHIR file in one transaction, refuse it whole, or skip it as loaded before."""
    started = time.monotonic()
    digest = ingest.sha256_of(path)
    result = FileResult(path.name, "fhir", digest, "refused")
    if not is_fhir_file(path):
        result.status = "ignored"
        result.kind = None
        result.message = "not a FHIR file (expected .ndjson, .ndjson.gz, .jsonl or .json)"
        ingest._record_ledger(con, result, run_id, path)
        return result
    previous = first_row(
        con, "select file_name from load_ledger where sha256 = ? and status = 'loaded' limit 1", [digest]
    )
    if previous:
        result.status = "skipped"
        result.message = f"same content as {previous[0]}, already loaded"
        ingest._record_ledger(con, result, run_id, path)
        return result
    con.execute("begin transaction")
    try:
        _load(con, path, result)
        result.seconds = round(time.monotonic() - started, 3)
        ingest._record_ledger(con, result, run_id, path)
        con.execute("commit")
    except FileRefused as err:
        con.execute("rollback")
        result.status, result.message, result.line = "refused", err.reason, err.line
        result.rows_read = result.rows_loaded = result.rows_quarantined = 0
        result.load_id = None
        ingest._record_ledger(con, result, run_id, path)
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        _drop_temp_tables(con)
    return result


def _load(con: duckdb.DuckDBPyConnection, path: Path, result: FileResult) -> None:
    document = _read_lines(con, path)
    con.execute(f"create temp table fhir_resources as {read_sql(FHIR_SQL_DIR / 'fhir_resources.sql')}")
    result.load_id = scalar(con, "select nextval('load_id_seq')")
    line = "null" if document else "_line"
    read_types: list[str] = []
    for kind_name, (view, types) in kinds_read().items():
        read_types += types
        kind = contract.KINDS[kind_name]
        columns = ", ".join(ident(c) for c in kind.columns)
        con.execute(
            f"create temp table _mapped as select row_number() over (order by _resource) as _row, * "
            f"from ({read_sql(FHIR_SQL_DIR / f'{view}.sql')})"
        )
        con.execute(
            f"create temp table _checked as with _incoming as (select _row as _line, {columns} from _mapped) "
            f"select * from ({read_sql(ingest.CHECK_DIR / f'check_{kind_name}.sql')})"
        )
        con.execute(f"create temp table _outcome as {read_sql(FHIR_SQL_DIR / 'fhir_outcomes.sql')}")
        con.execute(
            f"""
            insert into raw_{kind_name} ({columns}, _load_id, _line)
            select {", ".join(f"c.{ident(c)}" for c in kind.columns)}, ?, o._line
            from _checked as c
            inner join _mapped as m on c._line = m._row
            inner join _outcome as o on m._resource = o._resource
            where o.loaded
            order by m._row
            """,
            [result.load_id],
        )
        con.execute(
            f"""
            insert into quarantine
            select ?, ?, ?, {line}, column_name, reason,
                   to_json({{'resource_type': resource_type, 'resource_id': resource_id, 'place': _place}})
            from _outcome where not loaded order by _resource
            """,
            [result.load_id, path.name, kind_name],
        )
        result.rows_loaded += scalar(con, "select count(*) from _outcome where loaded")
        for table in ("_mapped", "_checked", "_outcome"):
            con.execute(f"drop table {table}")
    # Lines and entries that are not a resource at all.
    con.execute(
        f"""
        insert into quarantine
        select ?, ?, 'fhir', {line}, null, _place || ': ' || problem, to_json({{'place': _place}})
        from fhir_resources where problem is not null order by _resource
        """,
        [result.load_id, path.name],
    )
    result.rows_quarantined = scalar(con, "select count(*) from quarantine where load_id = ?", [result.load_id])
    result.rows_read = scalar(
        con,
        "select count(*) from fhir_resources where problem is not null or list_contains(?, resource_type)",
        [read_types],
    )
    assert result.rows_read == result.rows_loaded + result.rows_quarantined, (path.name, result)
    others = con.execute(
        """
        select resource_type, count(*) from fhir_resources
        where problem is null and not list_contains(?, resource_type)
        group by resource_type order by count(*) desc, resource_type
        """,
        [read_types],
    ).fetchall()
    if others:
        result.message = "resources of types not read: " + ", ".join(f"{n} {t}" for t, n in others)
    result.status = "loaded"


def _read_lines(con: duckdb.DuckDBPyConnection, path: Path) -> bool:
    """Fill temp table `_fhir_lines` (_line, text); True if the file is one JSON document.

    A file whose first line is a whole JSON value is ndjson (each line numbered, blank
    lines kept as NULL so numbers stay right); otherwise the file is one JSON document
    (a Bundle, or a single resource), read whole.
    """
    con.execute("drop table if exists _fhir_lines")
    source = (
        "read_csv(?, columns = {'text': 'VARCHAR'}, header = false, delim = '\x1f', quote = '', "
        "escape = '', auto_detect = false, max_line_size = ?)"
    )
    try:
        con.execute(
            f"create temp table _fhir_lines as select row_number() over () as _line, text from {source}",
            [str(path), MAX_LINE_BYTES],
        )
        first = first_row(con, "select text from _fhir_lines where trim(coalesce(text, '')) != '' order by _line limit 1")
    except duckdb.Error as err:
        raise FileRefused(path.name, f"cannot be read as text lines ({type(err).__name__}); is it UTF-8 JSON?") from None
    if first is None:
        raise FileRefused(path.name, "the file is empty (expected FHIR resources as ndjson or a JSON Bundle)")
    if scalar(con, "select json_valid(?)", [first[0]]) or path.name.lower().endswith((".ndjson", ".ndjson.gz", ".jsonl")):
        return False
    con.execute("drop table _fhir_lines")
    try:
        con.execute(
            "create temp table _fhir_lines as select cast(null as bigint) as _line, content as text from read_text(?)",
            [str(path)],
        )
    except duckdb.Error as err:
        raise FileRefused(path.name, f"cannot be read as a JSON document ({type(err).__name__})") from None
    return True


def _drop_temp_tables(con: duckdb.DuckDBPyConnection) -> None:
    for table in ("_fhir_lines", "fhir_resources", "_mapped", "_checked", "_outcome"):
        con.execute(f"drop table if exists {table}")
