"""Fingerprints: sha256 of everything a stage's result is made of.

A stage's result may be reused only while nothing it was made of changed: the data loaded
(the `load_ledger`'s files and the full refreshes declared), the as-of date, and every
file of code and reference data the stage runs. Code is hashed by whole folders (a
subpackage of `pipelines/`, a folder of `sql/`, `expectations/`), never by a list of file
names, so a module moved or added into a stage's package is covered without anyone
remembering to list it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import duckdb

from pipelines.settings import PROJECT_ROOT, SQL_DIR

PACKAGE_DIR = PROJECT_ROOT / "pipelines"

# Everything staging and the data-quality gate run besides the warehouse's tables: the
# packages below them (settings, errors, files, the warehouse), ingest (the contract the
# raw checks read), staging and the checks with their SQL, reference data and suites.
STAGING_SOURCES: tuple[Path, ...] = (
    *sorted(PACKAGE_DIR.glob("*.py")),
    PACKAGE_DIR / "warehouse",
    PACKAGE_DIR / "ingest",
    PACKAGE_DIR / "staging",
    PACKAGE_DIR / "checks",
    SQL_DIR / "warehouse",
    SQL_DIR / "ingest",
    SQL_DIR / "staging",
    SQL_DIR / "shared",
    PROJECT_ROOT / "expectations",
)


def files_under(paths: Iterable[Path]) -> list[Path]:
    """Every file of `paths` (files, or folders walked whole), sorted; caches left out."""
    found: set[Path] = set()
    for path in paths:
        if path.is_file():
            found.add(path)
        elif path.is_dir():
            found.update(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return sorted(found)


def update_with_files(digest: hashlib._Hash, paths: Iterable[Path]) -> None:
    """Feed `digest` each file's path (relative to the project) and content hash."""
    for path in files_under(paths):
        digest.update(path.relative_to(PROJECT_ROOT).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())


def staging_fingerprint(con: duckdb.DuckDBPyConnection, as_of: date) -> str:
    """sha256 of the loaded files, full refreshes, as-of date, and every file of code and
    reference data that staging and the data-quality gate run (`STAGING_SOURCES`)."""
    digest = hashlib.sha256(f"as_of={as_of.isoformat()}\n".encode())
    loads = con.execute(
        "select load_id, sha256 from load_ledger where status = 'loaded' order by load_id"
    ).fetchall()
    refreshes = con.execute("select * from full_refreshes order by all").fetchall()
    digest.update(repr((loads, refreshes)).encode())
    update_with_files(digest, STAGING_SOURCES)
    return digest.hexdigest()


def staging_code_fingerprint() -> str:
    """sha256 of every file of code and reference data that staging and the data-quality
    gate run (`STAGING_SOURCES`), without the data: staged tables built by another
    fingerprint cannot be extended by a delta (pipelines/staging/incremental.py)."""
    digest = hashlib.sha256()
    update_with_files(digest, STAGING_SOURCES)
    return digest.hexdigest()


def refreshes_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """sha256 of the full refreshes declared (`full_refreshes`): one more retires loads."""
    rows = con.execute("select run_id from full_refreshes order by run_id").fetchall()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def screening_fingerprint(con: duckdb.DuckDBPyConnection, trial_id: str) -> str:
    """What of a trial's screening events an evaluation depends on: their number and the
    last event id (events are only ever appended, so these change with every new one)."""
    count, last = con.execute(
        "select count(*), coalesce(max(event_id), 0) from screening_events where trial_id = ?",
        [trial_id],
    ).fetchone()
    return f"screening_events={count}:{last}"
