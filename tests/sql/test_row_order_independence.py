"""Criteria results must not depend on the order of the staged rows or on threads.

DuckDB gives no row order without ORDER BY, and a table's order changes between runs
(concurrent ingest, parallel scans). A criterion that keeps "the latest record" with
`arg_max(x, date)` shows whichever record came first when two share a date, so two
evaluations of the same data could disagree in their evidence. Here every patient has
records that tie on their date within each value set of both trials; the trials are
evaluated on staging tables in their built order, reversed and shuffled, with 1 and 2
threads, and every (status, evidence, evidence_date) must be the same.
"""

from __future__ import annotations

import csv
import random
from datetime import timedelta

import duckdb
import pytest

from pipelines.criteria import evaluate, trials
from pipelines.ingest import load as ingest
from pipelines.staging import build as staging
from pipelines.warehouse.connect import connect
from tests.conftest import AS_OF, TRIALS_DIR
from tests.flows.ops_drop import make_rows, write_drop

TRIAL_IDS = ("cart_autoimmune", "lupus_nephritis")
STAGED = staging.STAGED_DATA_TABLES


def _valueset_codes() -> dict[str, list[tuple[str, str]]]:
    """(code_system, code) of every value set entry of both trials, by value set file.

    A prefix entry gets two child codes (the prefix followed by a digit), so it matches.
    """
    found: dict[str, list[tuple[str, str]]] = {}
    for trial_id in TRIAL_IDS:
        for path in sorted((TRIALS_DIR / trial_id / "valuesets").glob("*.csv")):
            with path.open(encoding="utf-8", newline="") as handle:
                for row in csv.DictReader(handle):
                    suffixes = ("8", "9") if row.get("match") == "prefix" else ("",)
                    found.setdefault(f"{trial_id}/{path.stem}", []).extend(
                        (row["code_system"], row["code"] + suffix) for suffix in suffixes
                    )
    return found


def _tied_drop(folder, patients: int = 400, seed: int = 11):
    """A drop where each patient has same-date pairs of codes from several value sets."""
    rng = random.Random(seed)
    rows = make_rows(patients, seed=seed, labs_per_patient=6)
    valuesets = _valueset_codes()
    diagnosis_sets = [
        codes for codes in valuesets.values() if {s for s, _ in codes} & {"ICD10CM", "SNOMEDCT"}
    ]
    medication_sets = [
        codes for codes in valuesets.values() if {s for s, _ in codes} & {"CVX", "RXNORM", "ATC"}
    ]
    for patient in rows.patients:
        pid = patient[0]
        for codes in diagnosis_sets:
            day = (AS_OF - timedelta(days=rng.choice([10, 200, 900]))).isoformat()
            for system, code in rng.sample(codes, k=min(2, len(codes))):
                if system in ("ICD10CM", "SNOMEDCT"):
                    rows.diagnoses.append([pid, system, code, day, "encounter"])
        for codes in rng.sample(medication_sets, k=min(3, len(medication_sets))):
            day = AS_OF - timedelta(days=rng.choice([20, 120, 400]))
            for system, code in rng.sample(codes, k=min(2, len(codes))):
                if system in ("CVX", "RXNORM", "ATC"):
                    end = (day + timedelta(days=rng.choice([0, 120, 500]))).isoformat()
                    rows.medications.append(
                        [pid, system, code, "", day.isoformat(), end, "10", "mg", "QD", "oral"]
                    )
    return write_drop(folder, rows, lab_files=2)


def _results(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    out = {}
    for trial_id in TRIAL_IDS:
        evaluate.evaluate_trial(con, trials.load_trial(TRIALS_DIR, trial_id), AS_OF)
        out[trial_id] = con.execute(
            f"select patient_id, criterion_id, status, evidence, evidence_date "
            f"from {trial_id}.criteria_results order by patient_id, criterion_id"
        ).fetchall()
    return out


def _differences(expected: dict, found: dict) -> list[str]:
    lines = []
    for trial_id in TRIAL_IDS:
        for want, got in zip(expected[trial_id], found[trial_id], strict=True):
            if want != got:
                lines.append(f"{trial_id} {want[0]} {want[1]}: {want[2:]} != {got[2:]}")
    return lines


@pytest.fixture(scope="module")
def tied(tmp_path_factory):
    """A warehouse staged from the tied drop, and its criteria results as built."""
    con = connect(":memory:")
    ingest.ingest_drop(con, _tied_drop(tmp_path_factory.mktemp("tied")), "run-ties")
    staging.build_staging(con)
    yield con, _results(con)
    con.close()


def test_the_drop_has_same_date_ties_within_value_sets(tied):
    con, _ = tied
    ties = con.execute(
        "select count(*) from (select patient_id, diagnosis_date from stg_diagnoses "
        "group by all having count(*) > 1)"
    ).fetchone()[0]
    assert ties > 300


@pytest.mark.parametrize(
    ("order", "threads"),
    [
        ("_load_id desc, _line desc", 2),
        ("hash(_load_id, _line, 7)", 1),
        ("hash(_load_id, _line, 8)", 2),
    ],
    ids=["reversed", "shuffled-1-thread", "shuffled-2-threads"],
)
def test_criteria_results_do_not_depend_on_the_order_of_staged_rows(tied, order, threads):
    con, expected = tied
    for table in STAGED:
        con.execute(f"create or replace table {table} as select * from {table} order by {order}")
    con.execute(f"set threads = {threads}")
    try:
        assert _differences(expected, _results(con)) == []
    finally:
        con.execute("reset threads")
