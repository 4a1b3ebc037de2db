"""Read an OMOP CDM v5.4 drop (v5.3 where it differs) into the contract's raw tables.

A drop is a folder of CDM tables, one file per table named after it in any case
(`PERSON.csv`, `person.csv.gz`, `Person.parquet`), or a DuckDB database file holding the
CDM in one schema (the drop folder's only `.duckdb` file, or the file itself).

Each clinical table becomes contract-shaped rows of one kind through one SQL view of
`sql/inputs/omop/` (PERSON and DEATH -> patients, CONDITION_OCCURRENCE -> diagnoses,
MEASUREMENT and OBSERVATION -> labs, DRUG_EXPOSURE -> medications,
PROCEDURE_OCCURRENCE -> procedures), read by DuckDB in one pass with the file's line
numbers (`pipelines/readers.py`), then checked by the contract's own
`sql/ingest/check_<kind>.sql` and loaded in one transaction per table, as a contract file
is: every row is loaded or quarantined with its table file, line and a reason in words;
rows read = rows loaded + rows quarantined, counted in CDM rows (a row loaded under two
codes, its source and its standard concept, is one row read and one loaded); a table
loaded before (same sha256) is skipped. Codes are mapped through the site's own
vocabulary (CONCEPT, CONCEPT_RELATIONSHIP 'Maps to'), never through concept ids written
here. The quarantine keeps the mapped, contract-shaped record, never the CDM record:
person_source_value and the other fields no view reads (identifiers, locations,
providers) are never stored. The field-by-field mapping is in docs/inputs.md.

Vocabulary and lookup tables (CONCEPT, CONCEPT_RELATIONSHIP, CARE_SITE, CDM_SOURCE) are
read, not loaded: their ledger row says so (status `ignored`), as for any other CDM table
cohortscan does not read.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.errors import DropRefused, FileRefused
from pipelines.ingest import contract, readers
from pipelines.ingest import load as ingest
from pipelines.settings import SQL_DIR
from pipelines.warehouse.connect import first_row, ident, read_sql, scalar

OMOP_DIR = SQL_DIR / "inputs" / "omop"
SUFFIXES = (".csv.gz", ".csv", ".parquet")
DATABASE_SUFFIXES = (".duckdb", ".ddb", ".db")
NOT_STORED = (
    "identifiers and fields no mapping reads are not stored (person_source_value, location, "
    "provider, visit, free-text source values)"
)


@dataclass(frozen=True)
class CdmTable:
    """A clinical CDM table: the contract kind it loads into and the view that maps it."""

    name: str
    kind: str
    view: str
    required: tuple[str, ...]
    columns: tuple[str, ...]  # every CDM column the view reads


def _with(*names: str) -> tuple[str, ...]:
    return ("person_id", *names)


CLINICAL: dict[str, CdmTable] = {
    t.name: t
    for t in (
        CdmTable(
            "person",
            "patients",
            "omop_person.sql",
            _with("gender_concept_id", "year_of_birth"),
            _with(
                "gender_concept_id", "gender_source_value", "year_of_birth", "month_of_birth",
                "day_of_birth", "birth_datetime", "care_site_id",
            ),
        ),
        CdmTable("death", "patients", "omop_death.sql", _with("death_date"), _with("death_date")),
        CdmTable(
            "condition_occurrence",
            "diagnoses",
            "omop_condition_occurrence.sql",
            _with("condition_concept_id", "condition_start_date"),
            _with(
                "condition_concept_id", "condition_source_concept_id", "condition_source_value",
                "condition_start_date", "condition_start_datetime", "condition_type_concept_id",
            ),
        ),
        CdmTable(
            "measurement",
            "labs",
            "omop_measurement.sql",
            _with("measurement_concept_id", "measurement_date"),
            _with(
                "measurement_concept_id", "measurement_source_concept_id", "measurement_source_value",
                "measurement_date", "measurement_datetime", "operator_concept_id", "value_as_number",
                "value_as_concept_id", "value_source_value", "unit_concept_id", "unit_source_value",
                "range_low", "range_high",
            ),
        ),
        CdmTable(
            "observation",
            "labs",
            "omop_observation.sql",
            _with("observation_concept_id", "observation_date"),
            _with(
                "observation_concept_id", "observation_source_concept_id", "observation_source_value",
                "observation_date", "observation_datetime", "value_as_number", "value_as_string",
                "value_as_concept_id", "unit_concept_id", "unit_source_value",
            ),
        ),
        CdmTable(
            "drug_exposure",
            "medications",
            "omop_drug_exposure.sql",
            _with("drug_concept_id", "drug_exposure_start_date"),
            _with(
                "drug_concept_id", "drug_source_concept_id", "drug_source_value",
                "drug_exposure_start_date", "drug_exposure_start_datetime", "drug_exposure_end_date",
                "drug_exposure_end_datetime", "verbatim_end_date", "quantity", "days_supply", "sig",
                "route_concept_id", "route_source_value", "dose_unit_source_value",
            ),
        ),
        CdmTable(
            "procedure_occurrence",
            "procedures",
            "omop_procedure_occurrence.sql",
            _with("procedure_concept_id", "procedure_date"),
            _with(
                "procedure_concept_id", "procedure_source_concept_id", "procedure_source_value",
                "procedure_date", "procedure_datetime",
            ),
        ),
    )
}  # fmt: skip

# Tables read as lookups (temp tables omop_<name>): the columns kept, all as text.
LOOKUPS: dict[str, tuple[str, ...]] = {
    "concept": ("concept_id", "concept_name", "domain_id", "vocabulary_id", "concept_code"),
    "concept_relationship": ("concept_id_1", "concept_id_2", "relationship_id", "invalid_reason"),
    "person": CLINICAL["person"].columns,
    "death": ("person_id", "death_date"),
    "care_site": ("care_site_id", "care_site_name", "care_site_source_value"),
    "cdm_source": ("cdm_source_name", "cdm_source_abbreviation", "source_release_date", "cdm_release_date"),
}
# The order clinical tables load in: patients first, as a contract drop's file order does.
LOAD_ORDER = (
    "person", "death", "condition_occurrence", "measurement", "observation", "drug_exposure",
    "procedure_occurrence",
)  # fmt: skip


@dataclass(frozen=True)
class Source:
    """One CDM table as delivered: a file, or a table of a DuckDB database file."""

    table: str  # CDM table name, lower case
    path: Path  # the file, or the database file
    label: str  # the name in the ledger and in messages: 'PERSON.csv', 'cdm.duckdb:main.person'
    relation: str | None = None  # the table in the attached database, quoted

    @property
    def in_database(self) -> bool:
        return self.relation is not None


def table_name(path: Path) -> str | None:
    """The CDM table a file holds, from its name in any case, or None for another file."""
    name = path.name.lower()
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return None


def database_file(drop: Path) -> Path | None:
    """The DuckDB database of a drop: the drop itself, or its folder's only database file."""
    if drop.is_file():
        return drop if drop.name.lower().endswith(DATABASE_SUFFIXES) else None
    if not drop.is_dir():
        return None
    found = sorted(p for p in drop.iterdir() if p.is_file() and p.name.lower().endswith(DATABASE_SUFFIXES))
    return found[0] if len(found) == 1 else None


def is_omop_drop(drop: Path) -> bool:
    """A PERSON table file in the folder (any case), or a DuckDB database file."""
    if database_file(drop) is not None:
        return True
    return drop.is_dir() and any(table_name(p) == "person" for p in drop.iterdir() if p.is_file())


def ingest_omop_drop(
    con: duckdb.DuckDBPyConnection,
    drop: Path,
    run_id: str,
    progress: Callable[[str], None] | None = None,
    *,
    workers: int | None = None,
) -> list[ingest.FileResult]:
    """Load every new clinical table of an OMOP CDM drop; report the other files.

    Tables load one after the other on `con` (`workers` is accepted for the readers'
    common signature): the vocabulary lookups they join are temp tables of `con`.
    """
    del workers
    sources, others = _find_sources(con, drop)
    if "concept" not in sources:
        raise DropRefused(
            f"{drop}: an OMOP CDM drop needs its CONCEPT table (the site's vocabulary maps every "
            "code); none was found"
        )
    results: list[ingest.FileResult] = []
    try:
        _load_lookups(con, sources)
        for name in LOAD_ORDER:
            if name in sources:
                results.append(_ingest_table(con, sources[name], CLINICAL[name], run_id))
                if progress:
                    progress(ingest.describe(results[-1]))
        for source in sorted((s for n, s in sources.items() if n not in CLINICAL), key=lambda s: s.label):
            results.append(_ignore(con, source, run_id, _why_not_loaded(source.table)))
        for path in others:
            results.append(_ignore(con, Source("", path, path.name), run_id, "not an OMOP CDM table file"))
    finally:
        _drop_lookups(con)
    return results


def _why_not_loaded(table: str) -> str:
    if table in LOOKUPS:
        return f"OMOP CDM {table.upper()}: read to map codes and sites, not loaded"
    return f"OMOP CDM {table.upper()}: a table cohortscan does not read"


def _find_sources(con: duckdb.DuckDBPyConnection, drop: Path) -> tuple[dict[str, Source], list[Path]]:
    """The CDM tables of the drop by name, and the files that are none."""
    database = database_file(drop)
    if database is not None:
        return _database_sources(con, database), []
    if not drop.is_dir():
        raise DropRefused(f"{drop}: the extracts folder does not exist or is not a folder")
    sources: dict[str, Source] = {}
    others = []
    for path in sorted(p for p in drop.iterdir() if p.is_file() and not p.name.startswith(".")):
        name = table_name(path)
        if name is None:
            others.append(path)
        elif name in sources:
            raise DropRefused(
                f"{drop}: OMOP CDM table {name.upper()} is delivered twice ({sources[name].label} and "
                f"{path.name}); expected one file per table"
            )
        else:
            sources[name] = Source(name, path, path.name)
    return sources, others


def _database_sources(con: duckdb.DuckDBPyConnection, database: Path) -> dict[str, Source]:
    """The tables of the schema holding PERSON in a DuckDB database, attached read-only."""
    con.execute("detach database if exists omop_db")
    try:
        con.execute(f"attach '{_quoted_path(database)}' as omop_db (read_only)")
    except duckdb.Error:
        raise DropRefused(f"{database}: cannot be opened as a DuckDB database (read-only)") from None
    rows = con.execute(
        """
        select table_schema, table_name from information_schema.tables
        where table_catalog = 'omop_db'
        order by table_schema = 'main' desc, table_schema, table_name
        """
    ).fetchall()
    schemas = [schema for schema, table in rows if table.lower() == "person"]
    if not schemas:
        raise DropRefused(f"{database}: no schema of this DuckDB database holds an OMOP CDM PERSON table")
    schema = schemas[0]
    sources = {}
    for table_schema, table in rows:
        name = table.lower()
        # the vocabulary may sit in a schema of its own; the CDM schema's tables come first
        if (table_schema == schema or (name in ("concept", "concept_relationship"))) and name not in sources:
            relation = f"omop_db.{readers.quote_ident(table_schema)}.{readers.quote_ident(table)}"
            sources[name] = Source(name, database, f"{database.name}:{table_schema}.{table}", relation)
    return sources


def _quoted_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _columns_of(con: duckdb.DuckDBPyConnection, source: Source) -> list[str]:
    """The column names of a CDM table as delivered (lower-cased)."""
    if source.in_database:
        rows = con.execute(f"describe select * from {source.relation}").fetchall()
        return [contract.normalise_header(r[0]) for r in rows]
    return readers.read_header(con, source.path).names


def _relation(con: duckdb.DuckDBPyConnection, source: Source) -> str:
    """A lookup table's rows, every column as text under its lower-cased name."""
    if source.in_database:
        rows = con.execute(f"describe select * from {source.relation}").fetchall()
        columns = ", ".join(
            f"cast({readers.quote_ident(r[0])} as varchar) as {readers.quote_ident(r[0].lower())}"
            for r in rows
        )
        return f"(select {columns} from {source.relation})"
    path = _quoted_path(source.path)
    if contract.file_format(source.path) == "parquet":
        return f"(select columns(*)::varchar from read_parquet('{path}'))"
    # Vocabulary files from Athena are tab-separated: the delimiter is detected.
    return f"read_csv('{path}', header = true, all_varchar = true, normalize_names = true)"


def _load_lookups(con: duckdb.DuckDBPyConnection, sources: dict[str, Source]) -> None:
    """Temp tables omop_<lookup> (every kept column as text), empty when not delivered."""
    con.execute(read_sql(OMOP_DIR / "omop_macros.sql") + ";")
    # the table macro of the mapping views: a row's source and standard codes
    con.execute(read_sql(OMOP_DIR / "omop_concept_codes.sql") + ";")
    for name, columns in LOOKUPS.items():
        if name in sources:
            try:
                present = set(_columns_of(con, sources[name]))
            except FileRefused as err:
                raise DropRefused(
                    f"{err}; the OMOP CDM {name.upper()} table is needed to read the drop"
                ) from None
            select = ", ".join(
                f"cast({ident(c)} as varchar) as {ident(c)}"
                if c in present
                else f"cast(null as varchar) as {c}"
                for c in columns
            )
            number = ", row_number() over () + 1 as _line" if name == "person" else ""
            try:
                con.execute(
                    f"create or replace temp table {ident('omop_' + name)} as "
                    f"select {select}{number} from {_relation(con, sources[name])}"
                )
            except duckdb.InterruptException:
                raise
            except duckdb.Error as err:
                raise DropRefused(
                    f"{sources[name].label}: cannot be read as the OMOP CDM {name.upper()} table "
                    f"({type(err).__name__}); nothing of the drop was loaded"
                ) from None
        else:
            select = ", ".join(f"cast(null as varchar) as {c}" for c in columns)
            number = ", cast(null as bigint) as _line" if name == "person" else ""
            con.execute(
                f"create or replace temp table {ident('omop_' + name)} as select {select}{number} limit 0"
            )
    con.execute(
        "create or replace temp table omop_concept as select try_cast(concept_id as bigint) as concept_id, "
        "* exclude (concept_id) from omop_concept"
    )
    con.execute(
        """
        create or replace temp table omop_maps_to as
        select distinct
            try_cast(concept_id_1 as bigint) as concept_id_1,
            try_cast(concept_id_2 as bigint) as concept_id_2
        from omop_concept_relationship
        where relationship_id = 'Maps to' and coalesce(trim(invalid_reason), '') = ''
        """
    )
    con.execute("create or replace temp view _incoming as select * from omop_person")
    con.execute(
        "create or replace temp table omop_person_patients as " + read_sql(OMOP_DIR / "omop_person.sql")
    )
    con.execute("drop view _incoming")


def _drop_lookups(con: duckdb.DuckDBPyConnection) -> None:
    for name in (*LOOKUPS, "maps_to", "person_patients"):
        con.execute(f"drop table if exists {ident('omop_' + name)}")
    con.execute("detach database if exists omop_db")


def _digest(source: Source) -> str:
    """A file's sha256; a database table's is that of the file and the table's name."""
    digest = ingest.sha256_of(source.path)
    if source.in_database:
        return hashlib.sha256(f"{digest}:{source.label}".encode()).hexdigest()
    return digest


def _ignore(con: duckdb.DuckDBPyConnection, source: Source, run_id: str, message: str) -> ingest.FileResult:
    result = ingest.FileResult(source.label, None, _digest(source), "ignored", message=message)
    ingest._record_ledger(con, result, run_id, source.path)
    return result


def _ingest_table(
    con: duckdb.DuckDBPyConnection, source: Source, table: CdmTable, run_id: str
) -> ingest.FileResult:
    """Load one CDM table in one transaction, refuse it whole, or skip it as loaded before."""
    started = time.monotonic()
    result = ingest.FileResult(source.label, table.kind, _digest(source), "refused")
    previous = first_row(
        con,
        "select file_name from load_ledger where sha256 = ? and status = 'loaded' limit 1",
        [result.sha256],
    )
    if previous:
        result.status, result.message = "skipped", f"same content as {previous[0]}, already loaded"
        ingest._record_ledger(con, result, run_id, source.path)
        return result
    con.execute("begin transaction")
    try:
        _load(con, source, table, result, run_id)
        con.execute("commit")
    except FileRefused as err:
        ingest._rollback(con)
        result.status, result.message, result.line = "refused", err.reason, err.line
        result.rows_read = result.rows_loaded = result.rows_quarantined = 0
        result.extra_columns = []
    except BaseException:
        ingest._rollback(con)
        raise
    finally:
        _drop_temp(con)
    result.seconds = round(time.monotonic() - started, 3)
    if result.status == "loaded":
        con.execute("update load_ledger set seconds = ? where load_id = ?", [result.seconds, result.load_id])
    else:
        ingest._record_ledger(con, result, run_id, source.path)
    return result


def _load(
    con: duckdb.DuckDBPyConnection, source: Source, table: CdmTable, result: ingest.FileResult, run_id: str
) -> None:
    names = _columns_of(con, source)
    missing = [c for c in table.required if c not in names]
    if missing:
        raise FileRefused(
            source.label,
            f"required column {missing[0]!r} is missing (an OMOP CDM {table.name.upper()} table needs "
            f"{', '.join(table.required)})",
        )
    absent = [c for c in table.columns if c not in names]
    fields = _read_rows(con, source, absent)
    # The view reads the table's rows as `_incoming`; the contract's check reads the view's.
    con.execute("create or replace temp view _incoming as select * from _cdm_rows")
    con.execute("create temp table _mapped as " + read_sql(OMOP_DIR / table.view))
    kind = contract.KINDS[table.kind]
    columns = ", ".join(ident(c) for c in kind.columns)
    checked = read_sql(ingest.CHECK_DIR / f"check_{kind.name}.sql")
    why_column = "patient_id" if kind.name == "patients" else "code"
    # The contract's own checks; a row the view could not map carries its reason in `_why`.
    con.execute("create or replace temp view _incoming as select * from _mapped")
    con.execute("drop table _cdm_rows")
    con.execute(
        f"""
        create temp table _checked as
        select _line, {columns}, _problems, case when len(_problems) > 0 then to_json(_raw) end as _raw
        from (
            select * replace (
                case
                    when _raw._why is not null then [{{'column_name': ?, 'reason': _raw._why}}]
                    else _problems
                end as _problems
            )
            from ({checked})
        )
        """,
        [why_column],
    )
    result.load_id = scalar(con, "select nextval('load_id_seq')")
    con.execute(
        "create temp table _bad_lines as select distinct _line from _checked where len(_problems) > 0"
    )
    con.execute(
        f"insert into raw_{kind.name} ({columns}, _load_id, _line) "
        f"select {columns}, ?, _line from _checked where _line not in (select _line from _bad_lines) "
        "order by _line",
        [result.load_id],
    )
    con.execute(
        """
        insert into quarantine
        select ?, ?, ?, _line, _problems[1].column_name,
               array_to_string(list_transform(_problems, lambda p: p.reason), '; '), _raw
        from _checked
        where len(_problems) > 0
        qualify row_number() over (partition by _line order by _raw) = 1
        """,
        [result.load_id, source.label, kind.name],
    )
    if fields is not None:
        ingest._quarantine_rejects(con, source.path, kind, result.load_id, fields)
    counts = first_row(
        con,
        """
        select
            (select count(distinct _line) from _checked) + (select count(distinct line) from _rejects),
            (select count(distinct _line) from _checked where _line not in (select _line from _bad_lines)),
            (select count(*) from quarantine where load_id = ?)
        """,
        [result.load_id],
    )
    result.rows_read, result.rows_loaded, result.rows_quarantined = counts
    assert result.rows_read == result.rows_loaded + result.rows_quarantined
    result.status = "loaded"
    result.extra_columns = [c for c in names if c not in table.columns]
    result.message = f"OMOP CDM {table.name.upper()} read as {kind.name}; {NOT_STORED}"
    ingest._record_ledger(con, result, run_id, source.path)


def _read_rows(con: duckdb.DuckDBPyConnection, source: Source, absent: list[str]) -> int | None:
    """The table's rows into temp table `_cdm_rows` (`_line`, every column as text under
    its lower-cased name, `absent` columns as NULL); fill `_rejects`. Returns the CSV
    header's field count (None for parquet or a database table: no rejected records)."""
    if not source.in_database:
        header = readers.read_header(con, source.path)
        readers.read_rows(
            con, source.path, header, "select * from _incoming", into="_cdm_rows", missing=absent
        )
        return header.field_count if contract.file_format(source.path) == "csv" else None
    rows = con.execute(f"describe select * from {source.relation}").fetchall()
    select = [
        f"cast({readers.quote_ident(r[0])} as varchar) as "
        f"{readers.quote_ident(contract.normalise_header(r[0]))}"
        for r in rows
    ]
    select += [f"cast(null as varchar) as {readers.quote_ident(c)}" for c in absent]
    con.execute(
        f"create temp table _cdm_rows as select row_number() over () as _line, "
        f"{', '.join(select)} from {source.relation}"
    )
    con.execute(
        "create temp table _rejects (line bigint, column_idx bigint, column_name varchar, "
        "error_type varchar, csv_line varchar)"
    )
    return None


def _drop_temp(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("drop view if exists _incoming")
    for name in ("_cdm_rows", "_mapped", "_checked", "_bad_lines"):
        con.execute(f"drop table if exists {name}")
    ingest._drop_temp_tables(con)
