"""Run history: what `runs` keeps of each scan, crashed runs, and re-runs for a past as-of."""

from __future__ import annotations

import json
from datetime import date, datetime

import duckdb
import pytest

from pipelines import cli
from pipelines.run.flows import scan_flow
from pipelines.run.history import list_runs
from pipelines.settings import SQL_DIR
from pipelines.warehouse.connect import open_warehouse
from tests.flows.ops_drop import make_rows, write_drop

pytestmark = pytest.mark.slow

TRIAL = "cart_autoimmune"
PAST, TODAY = date(2026, 6, 1), date(2026, 11, 26)
EXPORTS = ("candidates.csv", "criteria.csv")


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> dict:
    """A warehouse left with a 'running' row by a dead scan, then scans as-of PAST, TODAY, PAST."""
    root = tmp_path_factory.mktemp("history")
    drop = write_drop(root / "drop", make_rows(80, seed=21), lab_files=2)
    warehouse, out = root / "wh.duckdb", root / "exports"
    with open_warehouse(warehouse) as con:
        con.execute(
            "insert into runs (run_id, started_at, trials, as_of, status) "
            "values ('20261125T020000-dead00', ?, ['cart_autoimmune'], ?, 'running')",
            [datetime(2026, 11, 25, 2, 0), TODAY],
        )
    args = dict(extracts=drop, warehouse=warehouse, out=out, trials_dir=SQL_DIR / "trials", trial_ids=[TRIAL])
    snapshots = []
    for as_of in (PAST, TODAY, PAST):
        scan_flow(**args, as_of=as_of)
        folder = out / TRIAL / as_of.isoformat()
        snapshots.append({name: (folder / name).read_bytes() for name in EXPORTS})
        snapshots[-1]["validation"] = json.loads((folder / "run.json").read_text())["validation"]
        snapshots[-1]["parquet"] = duckdb.sql(
            f"select * from read_parquet('{folder / 'criteria.parquet'}') order by all"
        ).fetchall()
    with open_warehouse(warehouse, read_only=True) as con:
        runs = list_runs(con)
    return {"warehouse": warehouse, "runs": runs, "snapshots": snapshots}


def test_runs_keep_files_rows_validation_and_funnel(history):
    first = history["runs"][-2]  # oldest first is the dead one; then the first real scan
    assert first["status"] == "succeeded" and first["as_of"] == PAST
    summary = first["summary"]
    assert summary["files"] == {"loaded": 5, "skipped": 0, "refused": 0}
    assert summary["rows"]["loaded"] > 0 and summary["rows"]["quarantined"] == 0
    assert summary["validation"] == history["snapshots"][0]["validation"]["status"]
    funnel = summary["trials"][TRIAL]["funnel"]
    assert funnel[0] == {"step": "all_patients", "remaining": 80}
    assert sum(summary["trials"][TRIAL]["statuses"].values()) == 80
    assert set(summary["timings"]) >= {"ingest", "stage", "criteria", "export"}


def test_later_runs_skip_the_files_already_loaded(history):
    latest = history["runs"][0]
    assert latest["summary"]["files"] == {"loaded": 0, "skipped": 5, "refused": 0}
    assert latest["summary"]["rows"]["loaded"] == 0


def test_run_left_running_by_a_dead_scan_is_marked_crashed(history):
    dead = history["runs"][-1]
    assert dead["run_id"] == "20261125T020000-dead00"
    assert dead["status"] == "crashed"
    assert "process ended before the run finished" in dead["message"]


def test_cohortscan_runs_prints_counts_validation_and_funnel(history, capsys):
    assert cli.main(["runs", "--warehouse", str(history["warehouse"])]) == 0
    out = capsys.readouterr().out
    assert "crashed" in out and out.count("succeeded") == 3
    assert "files 5 loaded, 0 skipped, 0 refused" in out
    assert f"validation {history['runs'][0]['summary']['validation']}" in out
    assert f"{TRIAL}: 80 patients -> " in out


def test_scan_repeated_for_a_past_as_of_gives_identical_exports(history):
    first, today, again = history["snapshots"]
    for name in (*EXPORTS, "parquet"):
        assert again[name] == first[name], name
    assert today["parquet"] != first["parquet"]  # the as-of date does matter
