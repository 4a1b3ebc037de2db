"""A re-scan with no new file reuses validated staging only while nothing it read changed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from pipelines import reuse

AS_OF = date(2026, 11, 26)
CHECKED = {
    "staging_counts": {"stg_labs": 3},
    "checks": [{"table": "stg_labs", "check": "unit_known", "status": "passed", "unexpected_percent": 0.5}],
}


def _load(con: duckdb.DuckDBPyConnection, load_id: int, sha: str) -> None:
    con.execute(
        "insert into load_ledger (load_id, run_id, file_name, kind, sha256, size_bytes, status, rows_read, "
        "rows_loaded, rows_quarantined, extra_columns, message, loaded_at, seconds) "
        "values (?, 'r', 'labs.csv', 'labs', ?, 1, 'loaded', 1, 1, 0, [], null, now(), 0)",
        [load_id, sha],
    )


def _remembered(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> str:
    work = tmp_path / "work"
    (work / "data_docs").mkdir(parents=True)
    (work / "data_docs" / "index.html").write_text("<html></html>")
    key = reuse.fingerprint(con, AS_OF)
    reuse.remember(con, key, "run-1", CHECKED, work, tmp_path / "kept")
    return key


def test_the_same_warehouse_and_date_find_the_validated_staging_and_its_data_docs(wh, tmp_path) -> None:
    _load(wh, 1, "a" * 64)
    key = _remembered(wh, tmp_path)
    found = reuse.find(wh, reuse.fingerprint(wh, AS_OF), tmp_path / "kept", tmp_path / "work2")
    assert found == {"run_id": "run-1", **CHECKED}
    assert (tmp_path / "work2" / "data_docs" / "index.html").is_file()
    assert key == reuse.fingerprint(wh, AS_OF)


def test_a_new_file_another_date_or_a_full_refresh_changes_the_fingerprint(wh, tmp_path) -> None:
    _load(wh, 1, "a" * 64)
    key = _remembered(wh, tmp_path)
    assert reuse.fingerprint(wh, date(2026, 11, 27)) != key
    _load(wh, 2, "b" * 64)
    after_load = reuse.fingerprint(wh, AS_OF)
    assert after_load != key
    wh.execute("insert into full_refreshes values ('run-2', now())")
    assert reuse.fingerprint(wh, AS_OF) not in (key, after_load)
    assert reuse.find(wh, reuse.fingerprint(wh, AS_OF), tmp_path / "kept", tmp_path / "w") is None


def test_nothing_is_reused_when_its_data_docs_are_gone(wh, tmp_path) -> None:
    _load(wh, 1, "a" * 64)
    key = _remembered(wh, tmp_path)
    (tmp_path / "kept" / "data_docs" / "index.html").unlink()
    assert reuse.find(wh, key, tmp_path / "kept", tmp_path / "w") is None
