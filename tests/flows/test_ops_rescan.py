"""A re-scan with no new file, nothing changed: the last run's exports are reused, not made again.

Three scans of one drop: the first makes the exports; the second loads nothing and
reuses them (its own run.json and changes.csv, its row in `runs`, the check results and
check results recorded again under its id); then an export file is altered and the third
scan, finding it altered, makes everything again, its changes.csv compared with the
statuses the first recorded.
"""

from __future__ import annotations

import json

import pytest

from pipelines import cli
from pipelines.files import sha256_file
from pipelines.run.flows import scan_flow
from pipelines.run.history import list_runs
from pipelines.settings import SQL_DIR
from pipelines.warehouse.connect import open_warehouse
from tests.flows.ops_drop import AS_OF, make_rows, write_drop

pytestmark = pytest.mark.slow

TRIAL = "cart_autoimmune"
KEPT = ("candidates.csv", "candidates.parquet", "criteria.csv", "criteria.parquet", "feasibility.json")


@pytest.fixture(scope="module")
def rescans(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("rescan")
    drop = write_drop(root / "drop", make_rows(60, seed=31))
    args = dict(
        extracts=drop,
        warehouse=root / "wh.duckdb",
        out=root / "exports",
        trials_dir=SQL_DIR / "trials",
        trial_ids=[TRIAL],
        as_of=AS_OF,
    )
    folder = root / "exports" / TRIAL / AS_OF.isoformat()
    first = scan_flow(**args)
    made = {name: (folder / name).read_bytes() for name in KEPT}
    second = scan_flow(**args)
    second_run_json = json.loads((folder / "run.json").read_text())
    second_changes = (folder / "changes.csv").read_text()
    reused = {name: (folder / name).read_bytes() for name in KEPT}
    with open_warehouse(root / "wh.duckdb", read_only=True) as con:
        counts = {
            table: dict(con.execute(f"select run_id, count(*) from {table} group by run_id").fetchall())
            for table in ("dq_results", "patient_status_history")
        }
    (folder / "criteria.csv").write_text("altered\n")
    third = scan_flow(**args)
    with open_warehouse(root / "wh.duckdb", read_only=True) as con:
        runs = list_runs(con)
    return {
        "first": first,
        "second": second,
        "third": third,
        "made": made,
        "reused": reused,
        "second_run_json": second_run_json,
        "second_changes": second_changes,
        "counts": counts,
        "runs": runs,
        "folder": folder,
        "warehouse": root / "wh.duckdb",
    }


def test_a_rescan_with_nothing_new_reuses_the_last_runs_exports_byte_for_byte(rescans):
    assert rescans["second"]["reused_from"] == rescans["first"]["run_id"]
    assert rescans["reused"] == rescans["made"]
    assert rescans["second"]["trials"][TRIAL] == {
        k: rescans["first"]["trials"][TRIAL][k] for k in ("statuses", "funnel")
    }


def test_the_reusing_run_writes_its_own_run_json_and_an_empty_changes_csv(rescans):
    info = rescans["second_run_json"]
    first_id = rescans["first"]["run_id"]
    assert info["run_id"] == rescans["second"]["run_id"]
    assert info["reused_from"] == first_id
    assert info["validation"]["reused_from"] == first_id
    assert info["totals"]["rows_loaded"] == 0
    assert info["totals"]["files_skipped"] == len(info["inputs"]) > 0
    assert rescans["second_changes"].splitlines() == [
        "patient_id,site_id,change,previous_status,status,changed_criteria,previous_run_id"
    ]


def test_the_reusing_run_is_recorded_with_the_checks_of_the_run_it_reused(rescans):
    first, second = rescans["first"]["run_id"], rescans["second"]["run_id"]
    assert rescans["counts"]["dq_results"][second] == rescans["counts"]["dq_results"][first] > 0
    assert second not in rescans["counts"]["patient_status_history"]  # the first's statuses serve
    by_id = {run["run_id"]: run for run in rescans["runs"]}
    assert by_id[second]["status"] == "succeeded"
    assert by_id[second]["summary"]["reused_from"] == first
    assert by_id[second]["summary"]["trials"] == by_id[first]["summary"]["trials"]


def test_cohortscan_runs_says_which_run_was_reused(rescans, capsys):
    assert cli.main(["runs", "--warehouse", str(rescans["warehouse"])]) == 0
    assert f"reused the exports of run {rescans['first']['run_id']}" in capsys.readouterr().out


def test_an_altered_export_is_made_again(rescans):
    third, folder = rescans["third"], rescans["folder"]
    assert "reused_from" not in third
    assert set(third["timings"]) >= {"criteria", "export"}
    assert {name: (folder / name).read_bytes() for name in KEPT if name != "feasibility.json"} == {
        name: content for name, content in rescans["made"].items() if name != "feasibility.json"
    }
    assert (folder / "changes.csv").read_text() == rescans["second_changes"]  # same statuses as the first
    info = json.loads((folder / "run.json").read_text())
    assert info["run_id"] == third["run_id"] and "reused_from" not in info
    assert all(sha256_file(folder / name) == sha for name, sha in info["exports_sha256"].items())
