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

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb

from pipelines.ingest import contract
from pipelines.ingest import load as ingest
from pipelines.ingest.load import FileResult
from pipelines.settings import SQL_DIR, Settings
from pipelines.warehouse.connect import first_row, ident, read_sql, run_sql_file, scalar

FHIR_SQL_DIR = SQL_DIR / "inputs" / "fhir"
SUFFIXES = (".ndjson", ".ndjson.gz", ".jsonl", ".json")
# Longest ndjson line read (a Bundle on one line can be long).
MAX_LINE_BYTES = 256 * 1024 * 1024
# Bytes of files read and loaded together (one transaction, one pass of each view).
BATCH_BYTES = 32 * 1024 * 1024

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
    """Load every new file of a FHIR drop; files already loaded (same hash) are skipped.

    Files are read and loaded in batches of about BATCH_BYTES, in file name order, each
    batch in one transaction (a file still has its own load id, ledger row and counts).
    `site_extension`: the URL of a Patient extension holding the site; `default_site`:
    the site of a Patient with neither that extension nor a managingOrganization. Both
    default to the settings `fhir_site_extension` and `fhir_default_site`, and the
    latter to the drop folder's name (a FHIR export comes from one site).
    """
    settings = Settings()
    paths = ingest.discover(drop)
    _prepare(
        con,
        paths,
        site_extension or settings.fhir_site_extension,
        default_site or settings.fhir_default_site or drop.name,
    )
    results: list[FileResult] = []
    batch: list[tuple[Path, FileResult]] = []
    batch_bytes = 0
    loading: dict[str, str] = {}  # sha256 -> file name, for a file repeated in the drop

    def settle() -> None:
        nonlocal batch, batch_bytes
        if batch:
            _load_batch(con, batch, run_id)
            for _, result in batch:
                if progress:
                    progress(ingest.describe(result))
            batch, batch_bytes = [], 0

    for path in paths:
        result = _screen(con, path, run_id, loading)
        results.append(result)
        if result.status != "pending":
            settle()
            if progress:
                progress(ingest.describe(result))
            continue
        batch.append((path, result))
        batch_bytes += path.stat().st_size
        if batch_bytes >= BATCH_BYTES:
            settle()
    settle()
    return results


def _screen(con: duckdb.DuckDBPyConnection, path: Path, run_id: str, loading: dict[str, str]) -> FileResult:
    """A file's result: ignored, skipped (ledger row written), or `pending` (to load)."""
    digest = ingest.sha256_of(path)
    result = FileResult(path.name, "fhir", digest, "pending")
    if not is_fhir_file(path):
        result.status, result.kind = "ignored", None
        result.message = "not a FHIR file (expected .ndjson, .ndjson.gz, .jsonl or .json)"
    else:
        previous = first_row(
            con, "select file_name from load_ledger where sha256 = ? and status = 'loaded' limit 1", [digest]
        )
        previous_name = previous[0] if previous else loading.get(digest)
        if previous_name:
            result.status = "skipped"
            result.message = f"same content as {previous_name}, already loaded"
        else:
            loading[digest] = path.name
            return result
    ingest._record_ledger(con, result, run_id, path)
    return result


def _prepare(
    con: duckdb.DuckDBPyConnection, paths: list[Path], site_extension: str | None, site: str
) -> None:
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
    # Medications anywhere in the drop, for references from any file: only lines and
    # documents that name the type are parsed, in batches of about BATCH_BYTES of files
    # (a drop of Bundles that each hold a Medication would otherwise be read whole at once).
    con.execute("create or replace temp table _fhir_drop_resources (full_url varchar, resource json)")
    for files in _in_batches([p for p in paths if is_fhir_file(p)]):
        _read_lines(con, files, only_containing='"Medication"')
        con.execute(
            f"create or replace temp table fhir_resources as {read_sql(FHIR_SQL_DIR / 'fhir_resources.sql')}"
        )
        con.execute(
            "insert into _fhir_drop_resources select full_url, resource "
            "from fhir_resources where resource_type = 'Medication'"
        )
        _drop_temp_tables(con)
    con.execute(
        f"create or replace temp table _fhir_medication_codes as "
        f"{read_sql(FHIR_SQL_DIR / 'fhir_medication_codes.sql')}"
    )
    _drop_temp_tables(con)


def _in_batches(paths: list[Path]) -> Iterator[list[Path]]:
    """`paths` in order, in consecutive groups of about BATCH_BYTES (at least one file each)."""
    group: list[Path] = []
    size = 0
    for path in paths:
        group.append(path)
        size += path.stat().st_size
        if size >= BATCH_BYTES:
            yield group
            group, size = [], 0
    if group:
        yield group


def _load_batch(con: duckdb.DuckDBPyConnection, batch: list[tuple[Path, FileResult]], run_id: str) -> None:
    """Read the batch's files, map and check them, and load them in one transaction."""
    started = time.monotonic()
    refused = _read_lines(con, [path for path, _ in batch])
    for path, result in batch:
        if path.name in refused:
            result.status, result.message = "refused", refused[path.name]
            ingest._record_ledger(con, result, run_id, path)
    loaded = [(path, result) for path, result in batch if result.status == "pending"]
    if not loaded:
        _drop_temp_tables(con)
        return
    try:
        con.execute(f"create temp table fhir_resources as {read_sql(FHIR_SQL_DIR / 'fhir_resources.sql')}")
        con.execute("create temp table _fhir_files (_file varchar, load_id bigint, document boolean)")
        for path, result in loaded:
            result.load_id = scalar(con, "select nextval('load_id_seq')")
            con.execute(
                "insert into _fhir_files "
                "select ?, ?, ? in (select _file from _fhir_lines where _line is null)",
                [path.name, result.load_id, path.name],
            )
        con.execute("begin transaction")
        try:
            counts = _map_and_insert(con)
            for path, result in loaded:
                read, loaded_n, message = counts.get(path.name, (0, 0, None))
                result.rows_read, result.rows_loaded, result.message = read, loaded_n, message
                result.rows_quarantined = scalar(
                    con, "select count(*) from quarantine where load_id = ?", [result.load_id]
                )
                assert result.rows_read == result.rows_loaded + result.rows_quarantined, result
                result.status = "loaded"
            seconds = round((time.monotonic() - started) / len(loaded), 3)
            for path, result in loaded:
                result.seconds = seconds
                ingest._record_ledger(con, result, run_id, path)
            con.execute("commit")
        except BaseException:
            with contextlib.suppress(duckdb.TransactionException):
                con.execute("rollback")
            raise
    finally:
        _drop_temp_tables(con)


def _map_and_insert(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int, str | None]]:
    """Map every kind, insert loaded rows and quarantined resources; counts per file:
    (resources read, resources loaded, message naming the types not read)."""
    read_types: list[str] = []
    loaded: dict[str, int] = {}
    for kind_name, (view, types) in kinds_read().items():
        read_types += types
        columns = contract.KINDS[kind_name].columns
        column_list = ", ".join(ident(c) for c in columns)
        con.execute(
            f"create temp table _mapped as select row_number() over (order by _resource) as _row, * "
            f"from ({read_sql(FHIR_SQL_DIR / f'{view}.sql')})"
        )
        con.execute(
            "create temp table _checked as "
            f"with _incoming as (select _row as _line, {column_list} from _mapped) "
            f"select * from ({read_sql(ingest.CHECK_DIR / f'check_{kind_name}.sql')})"
        )
        con.execute(f"create temp table _outcome as {read_sql(FHIR_SQL_DIR / 'fhir_outcomes.sql')}")
        con.execute(
            f"""
            insert into raw_{kind_name} ({column_list}, _load_id, _line)
            select {", ".join(f"c.{ident(c)}" for c in columns)}, f.load_id, o._line
            from _checked as c
            inner join _mapped as m on c._line = m._row
            inner join _outcome as o on m._resource = o._resource
            inner join _fhir_files as f on o._file = f._file
            where o.loaded
            order by m._row
            """
        )
        con.execute(
            """
            insert into quarantine
            select f.load_id, o._file, ?, case when not f.document then o._line end, o.column_name, o.reason,
                   to_json({'resource_type': o.resource_type, 'resource_id': o.resource_id,
                            'place': o._place})
            from _outcome as o
            inner join _fhir_files as f on o._file = f._file
            where not o.loaded
            order by o._resource
            """,
            [kind_name],
        )
        for file_name, n in con.execute(
            "select _file, count(*) from _outcome where loaded group by _file"
        ).fetchall():
            loaded[file_name] = loaded.get(file_name, 0) + n
        for table in ("_mapped", "_checked", "_outcome"):
            con.execute(f"drop table {table}")
    # Lines and entries that are not a resource at all.
    con.execute(
        """
        insert into quarantine
        select f.load_id, r._file, 'fhir', case when not f.document then r._line end, null,
               r._place || ': ' || r.problem, to_json({'place': r._place})
        from fhir_resources as r
        inner join _fhir_files as f on r._file = f._file
        where r.problem is not null
        order by r._resource
        """
    )
    read = dict(
        con.execute(
            "select _file, count(*) from fhir_resources "
            "where problem is not null or list_contains(?, resource_type) group by _file",
            [read_types],
        ).fetchall()
    )
    others: dict[str, list[str]] = {}
    for file_name, type_name, n in con.execute(
        """
        select _file, resource_type, count(*) from fhir_resources
        where problem is null and not list_contains(?, resource_type)
        group by _file, resource_type order by _file, count(*) desc, resource_type
        """,
        [read_types],
    ).fetchall():
        note = " (read for the references of others)" if type_name in SUPPORTING_TYPES else ""
        others.setdefault(file_name, []).append(f"{n} {type_name}{note}")
    files = set(read) | set(others)
    return {
        name: (
            read.get(name, 0),
            loaded.get(name, 0),
            "resources of types not read: " + ", ".join(others[name]) if name in others else None,
        )
        for name in files
    }


def _read_lines(
    con: duckdb.DuckDBPyConnection, paths: list[Path], *, only_containing: str | None = None
) -> dict[str, str]:
    """Fill temp table `_fhir_lines` (_file, _line, text) from `paths`; return the files
    refused, by name, with the reason.

    A file whose first line is a whole JSON value is ndjson: each line is numbered, blank
    lines kept as NULL so numbers stay right. Otherwise the file is one JSON document (a
    Bundle, or a single resource), read whole, with _line NULL. `only_containing` keeps
    only the lines (documents) holding that text.
    """
    con.execute("create or replace temp table _fhir_lines (_file varchar, _line bigint, text varchar)")
    keep = "" if only_containing is None else "where contains(text, ?)"
    keep_params = [] if only_containing is None else [only_containing]
    refused: dict[str, str] = {}
    documents: list[Path] = []
    for path in paths:
        problem, is_document = _shape(path)
        if problem:
            refused[path.name] = problem
        elif is_document:
            documents.append(path)
        else:
            try:
                con.execute(
                    f"""
                    insert into _fhir_lines
                    select * from (
                        select ? as _file, row_number() over () as _line, text
                        from read_csv(?, columns = {{'text': 'VARCHAR'}}, header = false, delim = '\x1f',
                                      quote = '', escape = '', auto_detect = false, max_line_size = ?)
                    ) {keep}
                    """,
                    [path.name, str(path), MAX_LINE_BYTES, *keep_params],
                )
            except duckdb.Error as err:
                refused[path.name] = (
                    f"cannot be read as lines of text ({type(err).__name__}); expected UTF-8 ndjson"
                )
    if documents:
        con.execute(
            f"""
            insert into _fhir_lines
            select * from (
                select parse_filename(filename) as _file, cast(null as bigint) as _line, content as text
                from read_text(?)
            ) {keep}
            """,
            [[str(p) for p in documents], *keep_params],
        )
    return refused


def _shape(path: Path) -> tuple[str | None, bool]:
    """(why the file is refused or None, whether it is one JSON document rather than ndjson),
    from its first line (ndjson names are always ndjson)."""
    if path.stat().st_size == 0:
        return "the file is empty (expected FHIR resources as ndjson or a JSON Bundle)", False
    if path.name.lower().endswith((".ndjson", ".ndjson.gz", ".jsonl")):
        return None, False
    with path.open("rb") as handle:
        first = handle.readline().strip()
    try:
        json.loads(first)
    except ValueError:
        return None, True
    return None, False


def _drop_temp_tables(con: duckdb.DuckDBPyConnection) -> None:
    for table in ("_fhir_lines", "fhir_resources", "_fhir_files", "_mapped", "_checked", "_outcome"):
        con.execute(f"drop table if exists {table}")
