"""patient_status_history holds what changed: a row per patient whose status, site or a
criterion status changed since the previous successful run, rebuilt into that run's
statuses by the trial's view cohort_previous_status (changes.csv reads it)."""

from __future__ import annotations

import csv
from pathlib import Path

from pipelines.exports import write as exports
from pipelines.run import history as runs
from pipelines.warehouse.connect import bootstrap
from tests import cohort_data

SMALL = {"SITE_A": {"eligible": 2, "potential": 2, "low_egfr": 1, "no_disease": 1}}
STATE = "select patient_id, site_id, status, criteria from mini_trial.{} order by patient_id"


def _export(con, trial, out: Path, run_id: str, status: str = "succeeded") -> Path:
    runs.start_run(con, run_id, [trial.id], cohort_data.AS_OF, out)
    folder = exports.write_trial_exports(
        con, trial, out, cohort_data.AS_OF.isoformat(), run_id, {"run_id": run_id}, min_cell_count=11
    )
    runs.finish_run(con, run_id, status)
    return folder


def _changes(folder: Path) -> dict[str, tuple[str, str, str, str]]:
    with (folder / "changes.csv").open(newline="") as handle:
        return {
            r["patient_id"]: (r["change"], r["previous_status"], r["status"], r["previous_run_id"])
            for r in csv.DictReader(handle)
        }


def _history_rows(con, run_id: str) -> list[tuple]:
    return con.execute(
        "select patient_id, status from patient_status_history where run_id = ? order by patient_id",
        [run_id],
    ).fetchall()


def _add_egfr(con, patient_id: str, value: float) -> None:
    con.execute(
        "insert into raw_labs values "
        "(?, 'LOINC', ?, '2026-11-20', ?, null, 'mL/min/1.73m2', null, null, 9, 1)",
        [patient_id, cohort_data.EGFR, value],
    )
    cohort_data.build(con, {})  # re-stage
    cohort_data.evaluate_mini(con)


def _state_now(con) -> list[tuple]:
    return con.execute(STATE.format("cohort_patient_status")).fetchall()


def _state_rebuilt(con) -> list[tuple]:
    return con.execute(STATE.format("cohort_previous_status")).fetchall()


def test_rows_grow_with_changes_not_with_runs_times_patients(wh, tmp_path):
    cohort_data.build(wh, SMALL)
    trial = cohort_data.evaluate_mini(wh)
    _export(wh, trial, tmp_path, "R1")
    _export(wh, trial, tmp_path, "R2")
    _add_egfr(wh, "SITE_A-potential-00", 75)
    _export(wh, trial, tmp_path, "R3")
    assert len(_history_rows(wh, "R1")) == 6  # the first run: every patient is new
    assert _history_rows(wh, "R2") == []  # nothing changed
    assert _history_rows(wh, "R3") == [("SITE_A-potential-00", "eligible")]
    recorded = wh.execute(
        "select run_id, patients, changed from patient_status_runs order by run_id"
    ).fetchall()
    assert recorded == [("R1", 6, 6), ("R2", 6, 0), ("R3", 6, 1)]


def test_statuses_rebuilt_from_the_changes_are_the_last_runs_statuses(wh, tmp_path):
    cohort_data.build(wh, SMALL)
    trial = cohort_data.evaluate_mini(wh)
    _export(wh, trial, tmp_path, "R1")
    for run_id, (patient, value) in zip(
        ("R2", "R3", "R4"),
        (("SITE_A-potential-00", 75), ("SITE_A-eligible-01", 15), ("SITE_A-low_egfr-00", 70)),
        strict=True,
    ):
        _add_egfr(wh, patient, value)
        state = _state_now(wh)
        _export(wh, trial, tmp_path, run_id)
        assert _state_rebuilt(wh) == state, run_id


def test_a_failed_runs_changes_are_never_read_as_previous(wh, tmp_path):
    cohort_data.build(wh, SMALL)
    trial = cohort_data.evaluate_mini(wh)
    _export(wh, trial, tmp_path, "R1")
    _add_egfr(wh, "SITE_A-potential-00", 75)
    failed = _export(wh, trial, tmp_path, "R2", status="failed")
    assert _changes(failed) == {"SITE_A-potential-00": ("status_changed", "potential", "eligible", "R1")}
    assert _history_rows(wh, "R2") == [("SITE_A-potential-00", "eligible")]  # stored, never read
    # The next successful run compares with R1, the last run that succeeded.
    assert _changes(_export(wh, trial, tmp_path, "R3")) == {
        "SITE_A-potential-00": ("status_changed", "potential", "eligible", "R1")
    }
    assert _changes(_export(wh, trial, tmp_path, "R4")) == {}


def test_a_patient_who_left_is_recorded_once_and_not_read_as_previous_after(wh, tmp_path):
    cohort_data.build(wh, SMALL)
    trial = cohort_data.evaluate_mini(wh)
    _export(wh, trial, tmp_path, "R1")
    for table in ("raw_patients", "raw_diagnoses", "raw_labs"):
        wh.execute(f"delete from {table} where patient_id = 'SITE_A-eligible-00'")
    cohort_data.build(wh, {})
    cohort_data.evaluate_mini(wh)
    assert _changes(_export(wh, trial, tmp_path, "R2")) == {
        "SITE_A-eligible-00": ("dropped_candidate", "eligible", "", "R1")
    }
    assert _history_rows(wh, "R2") == [("SITE_A-eligible-00", None)]
    assert _changes(_export(wh, trial, tmp_path, "R3")) == {}
    assert _history_rows(wh, "R3") == []


def test_a_warehouse_of_full_snapshots_is_migrated_and_read_as_before(wh, tmp_path):
    cohort_data.build(wh, SMALL)
    trial = cohort_data.evaluate_mini(wh)
    wh.execute("drop table patient_status_history")
    wh.execute(OLD_TABLE)
    runs.start_run(wh, "R0", [trial.id], cohort_data.AS_OF, tmp_path)
    wh.execute(  # the snapshot the former export wrote, with one patient's status older
        "insert into patient_status_history (run_id, trial_id, as_of, patient_id, site_id, status, criteria) "
        "select 'R0', trial_id, as_of, patient_id, site_id, "
        "if(patient_id = 'SITE_A-eligible-00', 'potential', status), criteria "
        "from mini_trial.cohort_patient_status"
    )
    runs.finish_run(wh, "R0", "succeeded")
    bootstrap(wh)  # migrates: R0 recorded as a full snapshot, status nullable
    bootstrap(wh)  # once only
    assert wh.execute("select run_id, patients, full_snapshot from patient_status_runs").fetchall() == [
        ("R0", 6, True)
    ]
    assert _changes(_export(wh, trial, tmp_path, "R1")) == {
        "SITE_A-eligible-00": ("status_changed", "potential", "eligible", "R0")
    }
    assert _history_rows(wh, "R1") == [("SITE_A-eligible-00", "eligible")]


OLD_TABLE = """
create table patient_status_history (
    run_id varchar not null, trial_id varchar not null, as_of date not null,
    patient_id varchar not null, site_id varchar, status varchar not null,
    criteria struct(criterion_id varchar, status varchar)[] not null,
    recorded_at timestamp not null default current_timestamp
)
"""
