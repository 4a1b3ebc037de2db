"""A re-scan with no new file reuses the staged tables and their validation.

Staging and the data-quality gate are functions of what they read: the files loaded
(`load_ledger`), the full refreshes declared, the as-of date the checks compare with,
and the code and reference data (staging SQL, macros, reference CSVs, expectations, the
Python that runs them). `fingerprint` hashes all of these. A scan that loads no file and
finds the fingerprint of the last run whose gate passed skips validating and staging
again: the staged tables in the warehouse are those that run built and validated, its
check results are recorded again under the new run, and its Data Docs (kept beside the
warehouse file, in `<warehouse>.validated/`) go with the exports. Anything else (a new file, a full refresh,
another as-of date, an edited SQL or CSV file, Data Docs gone) runs the gate in full.

Criteria, eligibility and exports always run again.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from pipelines.settings import SQL_DIR

PROJECT_DIR = SQL_DIR.parent


def kept_dir(warehouse: Path) -> Path:
    """Where the Data Docs of the last validated staging are kept: beside the warehouse."""
    return warehouse.with_name(warehouse.name + ".validated")


# Everything staging and the gate read besides the warehouse's tables.
_INPUT_GLOBS = (
    (SQL_DIR, "staging/*.sql"),
    (SQL_DIR, "shared/*.sql"),
    (SQL_DIR, "shared/data/*.csv"),
    (SQL_DIR, "warehouse/*.sql"),
    (PROJECT_DIR, "expectations/**/*"),
    (PROJECT_DIR, "pipelines/staging.py"),
    (PROJECT_DIR, "pipelines/quality*.py"),
    (PROJECT_DIR, "pipelines/contract.py"),
)

_TABLE = """
create table if not exists validated_staging (
    fingerprint varchar not null,
    run_id varchar not null,
    recorded_at timestamp not null,
    staging_counts json not null,
    checks json not null
)
"""


def fingerprint(con: duckdb.DuckDBPyConnection, as_of: date) -> str:
    """sha256 of the loaded files, full refreshes, as-of date, code and reference data."""
    digest = hashlib.sha256(f"as_of={as_of.isoformat()}\n".encode())
    loads = con.execute(
        "select load_id, sha256 from load_ledger where status = 'loaded' order by load_id"
    ).fetchall()
    refreshes = con.execute("select * from full_refreshes order by all").fetchall()
    digest.update(repr((loads, refreshes)).encode())
    for root, pattern in _INPUT_GLOBS:
        for path in sorted(p for p in root.glob(pattern) if p.is_file()):
            digest.update(str(path.relative_to(PROJECT_DIR)).encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def find(con: duckdb.DuckDBPyConnection, key: str, kept: Path, work_dir: Path) -> dict[str, Any] | None:
    """The validated staging recorded under `key`, its Data Docs copied to
    `work_dir/data_docs` from `kept` (see `kept_dir`); None when there is none (or its Data Docs are gone)."""
    con.execute(_TABLE)
    row = con.execute(
        "select run_id, staging_counts, checks from validated_staging where fingerprint = ? "
        "order by recorded_at desc limit 1",
        [key],
    ).fetchone()
    docs = kept / "data_docs"
    if row is None or not (docs / "index.html").is_file():
        return None
    shutil.rmtree(work_dir / "data_docs", ignore_errors=True)
    shutil.copytree(docs, work_dir / "data_docs")
    return {"run_id": row[0], "staging_counts": json.loads(row[1]), "checks": json.loads(row[2])}


def remember(
    con: duckdb.DuckDBPyConnection, key: str, run_id: str, checked: dict[str, Any], work_dir: Path, kept: Path
) -> None:
    """Record that the staging of `key` passed the gate in `run_id`; keep its Data Docs.

    Only the latest validated staging is kept: the staged tables are rebuilt in place, so
    an older fingerprint no longer describes them.
    """
    con.execute(_TABLE)
    shutil.rmtree(kept, ignore_errors=True)
    shutil.copytree(work_dir / "data_docs", kept / "data_docs")
    con.execute("delete from validated_staging")
    con.execute(
        "insert into validated_staging values (?, ?, ?, ?, ?)",
        [
            key,
            run_id,
            datetime.now(),
            json.dumps(checked["staging_counts"]),
            json.dumps(checked["checks"], default=str),
        ],
    )
