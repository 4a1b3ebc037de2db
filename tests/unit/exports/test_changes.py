"""changes.csv: patients whose candidacy changed since the previous successful run."""

from __future__ import annotations

import csv
from pathlib import Path

from pipelines.exports import write as exports
from pipelines.run import history as runs
from tests import cohort_data

HEADER = [
    "patient_id",
    "site_id",
    "change",
    "previous_status",
    "status",
    "changed_criteria",
    "previous_run_id",
]
SMALL = {"SITE_A": {"eligible": 2, "potential": 2, "low_egfr": 1, "no_disease": 1}}


def _export(con, trial, out: Path, run_id: str, status: str = "succeeded") -> Path:
    """One run as the scan does it: start, export, finish with `status`."""
    runs.start_run(con, run_id, [trial.id], cohort_data.AS_OF, out)
    folder = exports.write_trial_exports(
        con, trial, out, cohort_data.AS_OF.isoformat(), run_id, {"run_id": run_id}, min_cell_count=11
    )
    runs.finish_run(con, run_id, status)
    return folder


def _rows(folder: Path) -> list[dict[str, str]]:
    with (folder / "changes.csv").open(newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == HEADER
        return list(reader)


def test_first_run_writes_changes_csv_with_a_header_only(wh, tmp_path):
    cohort_data.build(wh, SMALL)
    trial = cohort_data.evaluate_mini(wh)
    folder = _export(wh, trial, tmp_path, "R1")
    assert (folder / "changes.csv").read_text().splitlines() == [",".join(HEADER)]


def test_second_run_lists_new_dropped_and_changed_candidates(wh, tmp_path):
    cohort_data.build(wh, SMALL)
    trial = cohort_data.evaluate_mini(wh)
    _export(wh, trial, tmp_path, "R1")
    # Between the runs: a potential patient gets an eGFR (-> eligible), an eligible one a
    # low eGFR (-> ineligible), and the low-eGFR patient a good one (-> eligible).
    for patient, value in (
        ("SITE_A-potential-00", 75),
        ("SITE_A-eligible-01", 15),
        ("SITE_A-low_egfr-00", 70),
    ):
        wh.execute(
            "insert into raw_labs values (?, 'LOINC', ?, '2026-11-20', ?, null, 'mL/min/1.73m2', "
            "null, null, 9, 1)",
            [patient, cohort_data.EGFR, value],
        )
    cohort_data.build(wh, {})  # re-stage
    cohort_data.evaluate_mini(wh)
    rows = _rows(_export(wh, trial, tmp_path, "R2"))
    got = {
        r["patient_id"]: (r["change"], r["previous_status"], r["status"], r["changed_criteria"]) for r in rows
    }
    assert got == {
        "SITE_A-low_egfr-00": ("new_candidate", "ineligible", "eligible", "inc_renal: not_met -> met"),
        "SITE_A-eligible-01": ("dropped_candidate", "eligible", "ineligible", "inc_renal: met -> not_met"),
        "SITE_A-potential-00": ("status_changed", "potential", "eligible", "inc_renal: unknown -> met"),
    }
    assert {r["previous_run_id"] for r in rows} == {"R1"}
    assert {r["site_id"] for r in rows} == {"SITE_A"}


def test_a_failed_run_is_not_the_previous_run(wh, tmp_path):
    cohort_data.build(wh, SMALL)
    trial = cohort_data.evaluate_mini(wh)
    _export(wh, trial, tmp_path, "R1", status="failed")
    folder = _export(wh, trial, tmp_path, "R2")
    assert _rows(folder) == []


def test_unchanged_data_gives_no_changes_against_the_previous_run(wh, tmp_path):
    cohort_data.build(wh, SMALL)
    trial = cohort_data.evaluate_mini(wh)
    _export(wh, trial, tmp_path, "R1")
    assert _rows(_export(wh, trial, tmp_path, "R2")) == []


def test_new_patient_in_the_warehouse_is_a_new_candidate(wh, tmp_path):
    cohort_data.build(wh, SMALL)
    trial = cohort_data.evaluate_mini(wh)
    _export(wh, trial, tmp_path, "R1")
    cohort_data.add_patient(wh, "NEW-1", "SITE_B", "eligible", 99)
    cohort_data.build(wh, {})
    cohort_data.evaluate_mini(wh)
    rows = _rows(_export(wh, trial, tmp_path, "R2"))
    assert [(r["patient_id"], r["change"], r["previous_status"], r["changed_criteria"]) for r in rows] == [
        ("NEW-1", "new_candidate", "", "not in the previous run")
    ]


def test_each_run_records_every_patients_status(wh, tmp_path):
    cohort_data.build(wh, SMALL)
    trial = cohort_data.evaluate_mini(wh)
    _export(wh, trial, tmp_path, "R1")
    count = exports.record_statuses(wh, trial, "R1")  # a retried export replaces its rows
    assert count == 6
    assert wh.execute("select count(*) from patient_status_history where run_id = 'R1'").fetchone()[0] == 6


def test_run_folder_holds_every_export(wh, tmp_path):
    cohort_data.build(wh, SMALL)
    trial = cohort_data.evaluate_mini(wh)
    folder = _export(wh, trial, tmp_path, "R1")
    assert sorted(p.name for p in folder.iterdir()) == [
        "candidates.csv",
        "candidates.parquet",
        "changes.csv",
        "criteria.csv",
        "criteria.parquet",
        "feasibility.html",
        "feasibility.json",
        "research_subjects.ndjson",
        "run.json",
        "screening_log.csv",
        "worklist.csv",
        "worklist.html",
    ]
    assert not list(tmp_path.glob("*/.*")), "no partial folder or temporary file is left"
