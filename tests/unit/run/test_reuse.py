"""A re-scan with no new file reuses the last run's exports, or else its validated staging,
only while nothing they were made of changed."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb

from pipelines.exports import write as exports
from pipelines.run import reuse

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
    reuse.remember(con, key, "run-1", CHECKED["staging_counts"], CHECKED["checks"], work, tmp_path / "kept")
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


# -- the last run's exports -------------------------------------------------------------


def _exported_run(
    con: duckdb.DuckDBPyConnection, out: Path, run_id: str, key: str, status: str = "succeeded"
):
    """A run as `runs` and its export folder record it: files and run.json with their sha256."""
    folder = out / "t1" / AS_OF.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "candidates.csv").write_text("rank,patient_id\n1,P1\n")
    (folder / "data_docs").mkdir(exist_ok=True)
    (folder / "data_docs" / "index.html").write_text("<html></html>")
    info = {"run_id": run_id, "exports_sha256": exports.file_checksums(folder)}
    (folder / "run.json").write_text(json.dumps(info))
    summary = {"fingerprint": key, "folders": {"t1": str(folder)}}
    con.execute(
        "insert into runs (run_id, started_at, trials, as_of, status, summary) "
        "values (?, now(), ['t1'], ?, ?, ?)",
        [run_id, AS_OF, status, json.dumps(summary)],
    )
    con.execute("create schema if not exists t1")
    con.execute(
        "create or replace table t1.run_context as select ?::date as as_of, 't1' as trial_id", [AS_OF]
    )
    return folder


def test_the_last_run_is_reused_when_it_succeeded_with_the_same_fingerprint_and_intact_exports(wh, tmp_path):
    _exported_run(wh, tmp_path, "run-1", "k")
    found = reuse.reusable_run(wh, "k", "run-2", tmp_path, ["t1"], AS_OF)
    assert found is not None and found["run_id"] == "run-1"
    assert found["infos"]["t1"]["run_id"] == "run-1"
    assert reuse.reusable_run(wh, "another", "run-2", tmp_path, ["t1"], AS_OF) is None
    assert reuse.reusable_run(wh, "k", "run-2", tmp_path / "elsewhere", ["t1"], AS_OF) is None


def test_exports_changed_or_gone_are_not_reused(wh, tmp_path):
    folder = _exported_run(wh, tmp_path, "run-1", "k")
    (folder / "candidates.csv").write_text("rank,patient_id\n1,P2\n")
    assert reuse.reusable_run(wh, "k", "run-2", tmp_path, ["t1"], AS_OF) is None
    folder = _exported_run(wh, tmp_path / "b", "run-3", "k")
    (folder / "data_docs" / "index.html").unlink()
    assert reuse.reusable_run(wh, "k", "run-4", tmp_path / "b", ["t1"], AS_OF) is None


def test_only_the_last_run_counts_and_only_when_it_succeeded(wh, tmp_path):
    _exported_run(wh, tmp_path, "run-1", "k")
    wh.execute(
        "insert into runs (run_id, started_at, trials, as_of, status) "
        "values ('run-2', now() + interval 1 second, ['t1'], ?, 'crashed')",
        [AS_OF],
    )
    assert reuse.reusable_run(wh, "k", "run-3", tmp_path, ["t1"], AS_OF) is None


def test_a_trial_evaluated_since_for_another_date_is_not_reused(wh, tmp_path):
    _exported_run(wh, tmp_path, "run-1", "k")
    wh.execute(
        "create or replace table t1.run_context as select date '2026-06-01' as as_of, 't1' as trial_id"
    )
    assert reuse.reusable_run(wh, "k", "run-2", tmp_path, ["t1"], AS_OF) is None


def test_a_drop_of_files_seen_before_hints_that_nothing_is_new(tmp_path):
    from pipelines.warehouse.connect import open_warehouse

    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "labs.csv").write_text("x" * 1)  # size 1, as _load records it
    warehouse = tmp_path / "wh.duckdb"
    assert not reuse.drop_seen_before(warehouse, drop)  # no warehouse yet
    with open_warehouse(warehouse) as con:
        _load(con, 1, "a" * 64)
    assert reuse.drop_seen_before(warehouse, drop)
    (drop / "labs-2.csv").write_text("y")
    assert not reuse.drop_seen_before(warehouse, drop)
