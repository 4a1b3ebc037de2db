"""Staging: reference data tables, then the typed, normalised `stg_*` tables.

Reference data (units, measures, frequencies, ingredients, ...) are CSV files under
`sql/shared/data/`, loaded as `ref_<file stem>` tables on every run so that a change to
them takes effect at once. Staging tables are materialised once per run from the SQL
files in `sql/staging/` (one query per file, named after the table it makes); criteria
views read them.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.settings import SQL_DIR
from pipelines.warehouse import ident, read_sql, scalar

REFERENCE_DIR = SQL_DIR / "shared" / "data"
STAGING_DIR = SQL_DIR / "staging"
# stg_retired_loads first: every other staging table leaves out the files it lists.
STAGING_ORDER = ("stg_retired_loads", "stg_patients", "stg_diagnoses", "stg_labs", "stg_medications")


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


def build_staging(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Materialise every staging table; return its row count."""
    load_reference_data(con)
    counts = {}
    for name in STAGING_ORDER:
        query = read_sql(STAGING_DIR / f"{name}.sql")
        con.execute(f"create or replace table {ident(name)} as {query}")
        counts[name] = scalar(con, f"select count(*) from {ident(name)}")
    return counts
