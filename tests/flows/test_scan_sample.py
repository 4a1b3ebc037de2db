"""The scan flow end to end on data/sample/, under Prefect's test harness."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines.criteria.trials import load_trial
from pipelines.run.flows import scan_flow
from pipelines.settings import PROJECT_ROOT, SQL_DIR
from tests.flows.conftest import sample_scan_args

SAMPLE = PROJECT_ROOT / "data" / "sample"
AS_OF = date(2026, 11, 26)
FIXED = ["rank", "patient_id", "site_id", "status", "score", "diseases", "unmet_or_unknown"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scanned(contract_sample_scan) -> dict:
    """One scan of the sample (the session's, tests/flows/conftest.py: every trial found, so
    one ingest and staging for several trials), then a second scan of the same drop on the
    same warehouse."""
    first = contract_sample_scan()
    args = sample_scan_args(Path(first["root"]))
    assert (args["extracts"], args["trial_ids"], args["as_of"]) == (SAMPLE, None, AS_OF)
    folder = Path(first["folders"]["cart_autoimmune"])
    snapshot = {name: (folder / name).read_bytes() for name in ("candidates.csv", "criteria.csv")}
    first_run_json = json.loads((folder / "run.json").read_text())
    second = scan_flow(**args)
    return {
        "first": first,
        "second": second,
        "folder": folder,
        "snapshot": snapshot,
        "first_run_json": first_run_json,
    }


def _rows(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_scan_writes_the_stable_exports(scanned):
    folder = scanned["folder"]
    assert folder == folder.parent.parent / "cart_autoimmune" / AS_OF.isoformat()
    for name in ("candidates.csv", "candidates.parquet", "criteria.csv", "criteria.parquet", "run.json"):
        assert (folder / name).is_file(), name


def test_candidates_start_with_the_fixed_columns_then_one_per_criterion(scanned):
    trial = load_trial(SQL_DIR / "trials", "cart_autoimmune")
    with (scanned["folder"] / "candidates.csv").open(encoding="utf-8") as handle:
        header = handle.readline().strip().split(",")
    assert header == FIXED + [c.id for c in trial.criteria]


def test_candidates_are_ranked_eligible_before_potential(scanned):
    rows = _rows(scanned["folder"] / "candidates.csv")
    assert rows, "the sample must yield candidates"
    assert [int(r["rank"]) for r in rows] == list(range(1, len(rows) + 1))
    statuses = [r["status"] for r in rows]
    assert statuses == sorted(statuses, key=lambda s: s != "eligible")
    assert all(0 <= float(r["score"]) <= 1 for r in rows)


def _parquet_rows(path: Path) -> list[dict]:
    return duckdb.sql(f"select * from read_parquet('{path}')").df().astype(str).to_dict("records")


def test_criteria_parquet_has_every_patient_times_every_criterion(scanned):
    trial = load_trial(SQL_DIR / "trials", "cart_autoimmune")
    rows = _parquet_rows(scanned["folder"] / "criteria.parquet")
    patients = {r["patient_id"] for r in rows}
    candidates = {r["patient_id"] for r in _rows(scanned["folder"] / "candidates.csv")}
    assert patients > candidates, "the Parquet keeps the ineligible patients too"
    assert len(rows) == len(patients) * len(trial.criteria)
    assert {r["status"] for r in rows} <= {"met", "not_met", "unknown", "manual"}


def test_criteria_csv_holds_every_criterion_of_the_candidates_only(scanned):
    trial = load_trial(SQL_DIR / "trials", "cart_autoimmune")
    rows = _rows(scanned["folder"] / "criteria.csv")
    candidates = {r["patient_id"] for r in _rows(scanned["folder"] / "candidates.csv")}
    assert {r["patient_id"] for r in rows} == candidates
    assert len(rows) == len(candidates) * len(trial.criteria)
    assert list(rows[0]) == [
        "patient_id",
        "criterion_id",
        "kind",
        "status",
        "evidence",
        "evidence_date",
        "status_source",
    ]


def test_run_json_rows_read_equal_loaded_plus_quarantined_per_file(scanned):
    info = scanned["first_run_json"]
    assert info["as_of"] == AS_OF.isoformat()
    assert info["inputs"], "run.json lists the input files"
    for item in info["inputs"]:
        assert item["rows_read"] == item["rows_loaded"] + item["rows_quarantined"], item["file_name"]
        assert len(item["sha256"]) == 64
    assert info["totals"]["rows_quarantined"] > 0, "the sample carries rows to quarantine"


def test_second_scan_of_the_same_drop_loads_nothing_and_gives_the_same_outputs(scanned):
    assert {f["status"] for f in scanned["second"]["files"]} <= {"skipped", "ignored"}
    second_info = json.loads((scanned["folder"] / "run.json").read_text())
    assert second_info["totals"]["rows_loaded"] == 0
    for name, content in scanned["snapshot"].items():
        assert (scanned["folder"] / name).read_bytes() == content, name


def test_a_scan_without_trial_evaluates_and_exports_every_trial(scanned):
    assert {"cart_autoimmune", "lupus_nephritis"} <= set(scanned["first"]["folders"])
    for trial_id, folder in scanned["first"]["folders"].items():
        assert Path(folder) == scanned["folder"].parent.parent / trial_id / AS_OF.isoformat()
        assert (Path(folder) / "candidates.csv").is_file(), trial_id


@pytest.mark.parametrize("trial_id", ["cart_autoimmune", "lupus_nephritis"])
def test_curated_sample_patients_get_the_status_the_generator_documents(scanned, trial_id):
    expected = _rows(SAMPLE / "expected" / "statuses.csv")
    folder = Path(scanned["first"]["folders"][trial_id])
    actual = {(r["patient_id"], r["criterion_id"]): r for r in _parquet_rows(folder / "criteria.parquet")}
    implemented = {c for _, c in actual}
    mismatches = [
        f"{e['patient_id']} {e['criterion_id']}: expected {e['expected_status']} ({e['why']}), "
        f"got {actual[(e['patient_id'], e['criterion_id'])]['status']}: "
        f"{actual[(e['patient_id'], e['criterion_id'])]['evidence']}"
        for e in expected
        if e["trial_id"] == trial_id
        and e["criterion_id"] in implemented
        and actual[(e["patient_id"], e["criterion_id"])]["status"] != e["expected_status"]
    ]
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("trial_id", ["cart_autoimmune", "lupus_nephritis"])
def test_sample_funnel_equals_the_documented_funnel(scanned, trial_id):
    """tests/flows/sample_funnel_<trial>.csv documents the sample's funnel as-of 2026-11-26."""
    documented = _rows(Path(__file__).parent / f"sample_funnel_{trial_id}.csv")
    funnel = scanned["first"]["trials"][trial_id]["funnel"]
    got = [{k: str(step[k]) for k in ("step", "remaining", "removed", "unknown")} for step in funnel]
    assert got == documented
