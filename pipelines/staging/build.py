"""Staging: reference data tables, then the typed, normalised `stg_*` tables.

Reference data (units, measures, frequencies, ingredients, ...) are CSV files under
`sql/shared/data/`, loaded as `ref_<file stem>` tables on every run so that a change to
them takes effect at once. Staging tables are materialised once per run from the SQL
files in `sql/staging/` (one query per file, named after the table it makes); criteria
views read them.

Cost: each staging query reads its raw table a few times (the distinct spellings of
codes and units, the keys seen twice, the rows themselves) and joins small lookup tables
back, so that nothing but plain column arithmetic runs once per row. DuckDB's
`common_subplan` optimizer would materialise the filtered raw table those readings share
(millions of rows copied once more); it is switched off while staging queries run.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipelines.settings import PROJECT_ROOT, SQL_DIR
from pipelines.staging import incremental
from pipelines.staging.incremental import StagingPlan
from pipelines.warehouse.connect import ident, read_sql, scalar

REFERENCE_DIR = SQL_DIR / "shared" / "data"
STAGING_DIR = SQL_DIR / "staging"
# The plausible ranges of lab values are the range checks of the stg_labs suite: staging
# flags the rows outside them (`stg_labs.implausible`) so that no criterion reads them.
LAB_RANGES_SUITE = PROJECT_ROOT / "expectations" / "stg_labs.toml"
# Likewise the plausible prednisone-equivalent daily dose of the stg_medications suite:
# staging flags the orders outside it (`stg_medications.dose_implausible`).
DOSE_RANGES_SUITE = PROJECT_ROOT / "expectations" / "stg_medications.toml"
DOSE_COLUMN = "prednisone_equivalent_mg_computed"
# The staged tables, the one list every stage reads (criteria fingerprints, checks, the
# benchmark). stg_retired_loads first: every other staging table leaves out the files it lists.
STAGING_ORDER = (
    "stg_retired_loads",
    "stg_patients",
    "stg_diagnoses",
    "stg_labs",
    "stg_medications",
    "stg_procedures",
)
# The staged tables that hold the drop's rows (stg_retired_loads is bookkeeping).
STAGED_DATA_TABLES = STAGING_ORDER[1:]


def load_reference_data(con: duckdb.DuckDBPyConnection, folder: Path = REFERENCE_DIR) -> list[str]:
    """Load every CSV of `folder` as table `ref_<stem>` (all columns text); return the names."""
    names = []
    for path in sorted(folder.glob("*.csv")):
        table = f"ref_{path.stem}"
        con.execute(
            f"create or replace table {ident(table)} as "
            "select * from read_csv(?, header = true, all_varchar = true)",
            [str(path)],
        )
        names.append(table)
    return names


def lab_ranges(
    suite: Path = LAB_RANGES_SUITE, column: str = "value"
) -> list[tuple[str | None, float | None, float | None, str]]:
    """(measure or None for every measure, min, max, check name) of each range check on
    `column` in a staging suite (default: `value` in the stg_labs suite):
    `expect_column_values_to_be_between` on that column, for one measure (`where = {
    column = "measure", equals = ... }`) or for all."""
    data = tomllib.loads(suite.read_text(encoding="utf-8"))
    ranges = []
    for check in data.get("checks", []):
        args = check.get("args", {})
        where = check.get("where") or {}
        if check.get("expectation") != "expect_column_values_to_be_between" or args.get("column") != column:
            continue
        if where and (where.get("column") != "measure" or "equals" not in where):
            continue
        ranges.append((where.get("equals"), args.get("min_value"), args.get("max_value"), check["name"]))
    return ranges


def load_lab_ranges(con: duckdb.DuckDBPyConnection, suite: Path = LAB_RANGES_SUITE) -> int:
    """Table `ref_plausible_ranges(measure, min_value, max_value, check_name)` from the
    stg_labs suite's range checks (measure NULL: every measure); return its row count."""
    rows = lab_ranges(suite)
    con.execute(
        "create or replace table ref_plausible_ranges "
        "(measure varchar, min_value double, max_value double, check_name varchar)"
    )
    if rows:
        con.executemany("insert into ref_plausible_ranges values (?, ?, ?, ?)", rows)
    return len(rows)


def load_dose_ranges(con: duckdb.DuckDBPyConnection, suite: Path = DOSE_RANGES_SUITE) -> int:
    """Table `ref_plausible_doses(min_value, max_value, check_name)` from the range checks
    on `prednisone_equivalent_mg_computed` of the stg_medications suite; return its rows."""
    rows = [(low, high, name) for _, low, high, name in lab_ranges(suite, DOSE_COLUMN)]
    con.execute(
        "create or replace table ref_plausible_doses (min_value double, max_value double, check_name varchar)"
    )
    if rows:
        con.executemany("insert into ref_plausible_doses values (?, ?, ?)", rows)
    return len(rows)


@contextmanager
def scans_not_shared(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Within the block, a subplan a query uses twice is run twice, not materialised once.

    A staging query scans its raw table several times with the same filter (files retired
    by a full refresh left out); sharing that scan would copy every row into a temporary
    result, which costs more than scanning the table again. The optimizer that shares
    subplans (`common_subplan`, in recent DuckDB versions) is disabled for the block and
    the previous setting restored after; DuckDB versions without it need nothing.
    """
    if not scalar(con, "select count(*) from duckdb_optimizers() where name = 'common_subplan'"):
        yield
        return
    before = scalar(con, "select current_setting('disabled_optimizers')") or ""
    disabled = ",".join(name for name in (before, "common_subplan") if name)
    con.execute(f"set disabled_optimizers = '{disabled}'")
    try:
        yield
    finally:
        con.execute(f"set disabled_optimizers = '{before}'")


def build_table(con: duckdb.DuckDBPyConnection, name: str) -> int:
    """Materialise one staging table from `sql/staging/<name>.sql`; return its row count."""
    query = read_sql(STAGING_DIR / f"{name}.sql")
    with scans_not_shared(con):
        con.execute(f"create or replace table {ident(name)} as {query}")
    return scalar(con, f"select count(*) from {ident(name)}")


def restage_table(con: duckdb.DuckDBPyConnection, name: str) -> int:
    """Replace the rows of the patients in staging_delta in one staging table with those
    `sql/staging/<name>.sql` makes from their raw rows (run inside
    `incremental.touched_raw_rows`); return the table's row count."""
    query = read_sql(STAGING_DIR / f"{name}.sql")
    table = f"main.{ident(name)}"
    con.execute(
        f"delete from {table} where patient_id in "
        f"(select d.patient_id from main.{incremental.DELTA_TABLE} as d)"
    )
    with scans_not_shared(con):
        con.execute(f"insert into {table} {query}")
    return scalar(con, f"select count(*) from {table}")


def build_staging(
    con: duckdb.DuckDBPyConnection, plan: StagingPlan | None = None, run_id: str | None = None
) -> dict[str, int]:
    """Materialise every staging table; return its row count.

    With a delta `plan` (`incremental.plan_staging`), only the patients of the loads
    after `plan.since_load_id` are staged again, in one transaction, and the others' rows
    are kept; with a full plan or none, every table is built from all raw rows. A plan is
    recorded in staging_state (the patients of a delta in staging_delta) for the next run.
    """
    load_reference_data(con)
    load_lab_ranges(con)
    load_dose_ranges(con)
    if plan is None or not plan.is_delta:
        incremental.start_full(con)
        counts = {name: build_table(con, name) for name in STAGING_ORDER}
        if plan is not None:
            incremental.record_build(con, plan, run_id)
        return counts
    con.begin()
    try:
        incremental.collect_touched(con, plan.since_load_id)
        with incremental.touched_raw_rows(con):
            counts = {name: restage_table(con, name) for name in STAGED_DATA_TABLES}
        incremental.record_build(con, plan, run_id)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    counts = {"stg_retired_loads": scalar(con, "select count(*) from stg_retired_loads"), **counts}
    return {name: counts[name] for name in STAGING_ORDER}
