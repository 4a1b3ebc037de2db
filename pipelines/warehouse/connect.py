"""The DuckDB warehouse: open it, create its tables and macros, run SQL files.

DuckDB takes an exclusive lock on the file for a writing process, but only while a
connection is open; a whole scan is kept apart from another by the run lock
(`pipelines/warehouse/runlock.py`). A second scan is refused with `WarehouseBusy` rather than
waiting or corrupting it.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import duckdb

from pipelines import files
from pipelines.errors import WarehouseBusy
from pipelines.settings import SQL_DIR, Settings
from pipelines.warehouse import runlock

READER_WAIT_SECONDS = 30.0
# Tasks of one scan may open the warehouse at once (one database in the process, a
# connection each): two bootstraps replacing the same macro at once would conflict.
_BOOTSTRAP_LOCK = threading.Lock()

BOOTSTRAP_FILES = (
    SQL_DIR / "warehouse" / "tables.sql",
    SQL_DIR / "warehouse" / "history.sql",
    SQL_DIR / "warehouse" / "validated_staging.sql",
    SQL_DIR / "warehouse" / "staging_state.sql",
    SQL_DIR / "warehouse" / "screening.sql",
    SQL_DIR / "shared" / "macros.sql",
)


def connect(path: Path | str, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (and create if needed) the warehouse; ':memory:' gives an in-memory one.

    A process holding the warehouse's run lock (a scan) is its only writer, so a DuckDB
    lock conflict can then only come from a short reader (`cohortscan runs`, `explain`)
    that opened the file between two tasks: the scan waits for it up to
    READER_WAIT_SECONDS instead of failing.
    """
    settings = Settings()
    on_disk = str(path) != ":memory:"
    writer = on_disk and not read_only
    if on_disk:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    if writer:  # DuckDB's spill folder (its default temp_directory), private before any spill
        files.private_dir(Path(f"{path}.tmp"), settings.private_group)
    wait = READER_WAIT_SECONDS if on_disk and runlock.holds(Path(path)) else 0.0
    deadline = time.monotonic() + wait
    while True:
        try:
            # A new warehouse file (and its write-ahead log) is private from its creation.
            with files.private_umask(settings.private_group) if writer else nullcontext():
                con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as err:
            if "lock" not in str(err).lower():
                raise
            if time.monotonic() >= deadline:
                raise WarehouseBusy(
                    f"{path}: the warehouse is in use by another cohortscan process; "
                    "wait for it to finish or use another --warehouse"
                ) from None
            time.sleep(0.25)
    if writer:  # an older warehouse, created before this rule, is made private too
        for owned in (Path(path), Path(f"{path}.wal")):
            if owned.exists():
                files.restrict(owned, settings.private_group)
    con.execute(f"set memory_limit = '{settings.duckdb_memory_limit}'")
    if not read_only:
        with _BOOTSTRAP_LOCK:
            bootstrap(con)
    return con


@contextmanager
def open_warehouse(path: Path | str, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Context manager around `connect` that always closes the connection."""
    con = connect(path, read_only=read_only)
    try:
        yield con
    finally:
        con.close()


MIGRATE_STATUS_HISTORY = SQL_DIR / "warehouse" / "migrate_status_history.sql"


def bootstrap(con: duckdb.DuckDBPyConnection) -> None:
    """Create the warehouse tables and the shared macros (idempotent)."""
    for path in BOOTSTRAP_FILES:
        run_sql_file(con, path)
    if _status_history_is_snapshots(con):
        run_sql_file(con, MIGRATE_STATUS_HISTORY)


def _status_history_is_snapshots(con: duckdb.DuckDBPyConnection) -> bool:
    """True for a warehouse written before patient_status_history held change rows
    (its `status` still declared not null): it is migrated once."""
    return bool(
        scalar(
            con,
            "select count(*) from duckdb_columns() where database_name = current_database() "
            "and schema_name = 'main' and table_name = 'patient_status_history' "
            "and column_name = 'status' and not is_nullable",
        )
    )


def run_sql_file(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Execute every statement of a SQL file."""
    con.execute(path.read_text(encoding="utf-8"))


def read_sql(path: Path) -> str:
    """The text of a SQL file holding one query (a trailing ';' is removed)."""
    return path.read_text(encoding="utf-8").strip().rstrip(";")


_IDENT_RE = re.compile(r"[a-z][a-z0-9_]{0,62}")


def ident(name: str) -> str:
    """Quote a name from our own manifests for use as an SQL identifier.

    Only lower-case names of letters, digits and '_' pass; anything else is a bug in a
    manifest, caught when the trial is loaded.
    """
    if not _IDENT_RE.fullmatch(name):
        raise ValueError(f"not a safe identifier: {name!r}")
    return f'"{name}"'


def first_row(con: duckdb.DuckDBPyConnection, query: str, params: list | None = None) -> tuple | None:
    """The first row of a query, or None; the result is read to its end."""
    rows = con.execute(query, params or []).fetchall()
    return rows[0] if rows else None


def scalar(con: duckdb.DuckDBPyConnection, query: str, params: list | None = None):
    """The single value of a one-row, one-column query."""
    row = first_row(con, query, params)
    return row[0] if row else None
