"""The fast what-if (stored baseline, only the criteria reading a changed parameter
re-evaluated) gives exactly what a full evaluation with the changed parameters gives.

The sample drop is ingested, staged and both trials evaluated once, as a scan leaves
them. For each `--set`, the fast path's criteria_results, eligibility and funnel are
compared with those of `evaluate_trial` run with the same values, and the what-if
result (statuses, funnel, patients) with the one of the old path (baseline and what-if
both evaluated in full). Cases: parameters whose change moves patients, one of
lupus_nephritis, criteria that share inputs with others (inc_disease_activity reads
patient_diseases like inc_diagnosis; exc_kidney_failure reads the latest eGFR like
inc_egfr), several parameters at once.
"""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.criteria import evaluate, trials
from pipelines.criteria import scope as whatif_scope
from pipelines.ingest import load as ingest
from pipelines.settings import PROJECT_ROOT, SQL_DIR
from pipelines.staging import build as staging
from pipelines.tools import whatif
from pipelines.warehouse.connect import connect

SAMPLE = PROJECT_ROOT / "data" / "sample"
AS_OF = date(2026, 11, 26)
TRIALS = SQL_DIR / "trials"

pytestmark = pytest.mark.slow

CASES = [
    pytest.param("cart_autoimmune", {"inc_renal.egfr_min": 15.0}, id="cart-egfr_min"),
    pytest.param("cart_autoimmune", {"inc_renal.window_days": 400.0}, id="cart-renal-window"),
    pytest.param("cart_autoimmune", {"inc_disease_activity.dm_min_years": 5.0}, id="cart-shares-diseases"),
    pytest.param("cart_autoimmune", {"inc_disease_activity.sledai_min": 4.0}, id="cart-sledai"),
    pytest.param("cart_autoimmune", {"inc_refractory.min_agents": 1.0}, id="cart-refractory"),
    pytest.param(
        "cart_autoimmune", {"inc_age.min_age_years": 40.0, "inc_blood_counts.hb_min": 100.0}, id="cart-two"
    ),
    pytest.param("lupus_nephritis", {"inc_egfr.egfr_min": 60.0}, id="ln-egfr_min"),
    pytest.param("lupus_nephritis", {"exc_kidney_failure.egfr_below": 60.0}, id="ln-shares-egfr"),
    pytest.param("lupus_nephritis", {"inc_upcr.upcr_min": 3.0}, id="ln-upcr"),
    pytest.param("lupus_nephritis", {"inc_age.max_age_years": 40.0}, id="ln-age"),
]


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    """The sample ingested, staged, and both trials evaluated with their defaults."""
    warehouse = tmp_path_factory.mktemp("fast") / "wh.duckdb"
    con = connect(warehouse)
    ingest.ingest_drop(con, SAMPLE, "R-sample")
    staging.build_staging(con)
    for trial_id in ("cart_autoimmune", "lupus_nephritis"):
        evaluate.evaluate_trial(con, trials.load_trial(TRIALS, trial_id), AS_OF)
    yield con
    con.close()


def _defaults(trial: trials.Trial) -> dict[str, float | str]:
    return {key: p.default for key, p in trial.parameters.items()}


def _snapshot(con, trial: trials.Trial) -> dict[str, list]:
    schema = trial.id
    return {
        "criteria_results": con.execute(f"select * from {schema}.criteria_results order by all").fetchall(),
        "eligibility": con.execute(f"select * from {schema}.cohort_eligibility order by all").fetchall(),
        "ranking": con.execute(f"select * from {schema}.cohort_ranking order by rank").fetchall(),
        "funnel": evaluate.funnel(con, trial),
        "params": con.execute(f"select * from {schema}.params order by all").fetchall(),
    }


def _in_rolled_back_transaction(con, action):
    con.execute("begin transaction")
    try:
        return action()
    finally:
        con.execute("rollback")


@pytest.mark.parametrize(("trial_id", "changes"), CASES)
def test_fast_whatif_tables_equal_a_full_evaluation_with_the_changed_parameters(con, trial_id, changes):
    trial = trials.load_trial(TRIALS, trial_id)
    values = {**_defaults(trial), **changes}
    before = _snapshot(con, trial)
    assert evaluate.is_current(con, trial, AS_OF, _defaults(trial))
    affected = whatif_scope.criteria_reading(trial, changes)
    assert [c.id for c in affected] == sorted({k.split(".")[0] for k in changes}, key=_ordinal(trial))

    def fast():
        evaluate.reevaluate_criteria(con, trial, values, affected)
        return _snapshot(con, trial)

    def full():
        evaluate.evaluate_trial(con, trial, AS_OF, values)
        return _snapshot(con, trial)

    fast_tables = _in_rolled_back_transaction(con, fast)
    full_tables = _in_rolled_back_transaction(con, full)
    assert fast_tables == full_tables
    assert fast_tables["criteria_results"] != before["criteria_results"]  # the change changes something
    assert _snapshot(con, trial) == before


@pytest.mark.parametrize(("trial_id", "changes"), CASES)
def test_fast_whatif_result_equals_the_result_of_two_full_evaluations(con, trial_id, changes, monkeypatch):
    trial = trials.load_trial(TRIALS, trial_id)
    before = _snapshot(con, trial)
    fast = whatif.evaluate_whatif(con, trial, AS_OF, _defaults(trial), changes)
    assert fast["evaluation"] == {
        "baseline": "stored",
        "criteria_evaluated": sorted({k.split(".")[0] for k in changes}, key=_ordinal(trial)),
        "whole_trial": False,
    }
    monkeypatch.setattr(evaluate, "is_current", lambda *args: False)
    monkeypatch.setattr(whatif_scope, "criteria_reading", lambda *args: None)
    full = whatif.evaluate_whatif(con, trial, AS_OF, _defaults(trial), changes)
    assert full["evaluation"]["baseline"] == "evaluated"
    assert {k: v for k, v in fast.items() if k != "evaluation"} == {
        k: v for k, v in full.items() if k != "evaluation"
    }
    assert _snapshot(con, trial) == before


def _ordinal(trial: trials.Trial):
    order = {c.id: c.ordinal for c in trial.criteria}
    return lambda criterion_id: order[criterion_id]
