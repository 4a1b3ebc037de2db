"""Incremental evaluation, unit by unit: the plan (full or incremental, and why), the
criteria views' `changes_on`, and the evidence placeholders for the as-of date.

The random-night comparison with complete evaluations is
tests/integration/test_incremental_evaluation.py; a scan's second night is
tests/flows/test_incremental_nights.py.
"""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.criteria import evaluate, trials
from tests import cohort_data
from tests.conftest import TRIALS_DIR, Scenario

AS_OF = date(2026, 11, 26)


@pytest.mark.parametrize("trial_id", ["cart_autoimmune", "lupus_nephritis"])
def test_every_criterion_view_of_the_trials_gives_changes_on(wh, trial_id):
    Scenario(wh).patient("P1").evaluate(trial_id)
    wh.execute(f"set schema = '{trial_id}'")
    assert evaluate.without_changes_on(wh, trials.load_trial(TRIALS_DIR, trial_id)) == []


def test_a_view_without_changes_on_is_evaluated_again_every_night_and_said_so(wh):
    cohort_data.build(wh)
    trial = cohort_data.evaluate_mini(wh)  # the mini trial's views give no changes_on
    first = evaluate.last_plan(wh, trial)
    assert first["criteria_without_changes_on"] == [c.id for c in trial.criteria]
    assert "give no changes_on, evaluated every night" in evaluate.plan_line(trial, first)
    due = wh.execute(f"select distinct changes_on from {trial.id}.criteria_results").fetchall()
    assert due == [(date(2026, 11, 27),)]
    cohort_data.evaluate_mini(wh, as_of=date(2026, 11, 27))
    second = evaluate.last_plan(wh, trial)
    patients = wh.execute("select count(*) from stg_patients").fetchone()[0]
    assert second["mode"] == "incremental"
    assert second["rows_reevaluated"] == patients * len(trial.criteria)


@pytest.mark.parametrize(
    ("second", "full", "expected"),
    [
        pytest.param(AS_OF, False, ("incremental", "same as-of date"), id="same-day"),
        pytest.param(
            date(2026, 11, 27), False, ("incremental", "as of 2026-11-26 -> 2026-11-27"), id="a-day-on"
        ),
        pytest.param(
            date(2027, 3, 26), False, ("incremental", "as of 2026-11-26 -> 2027-03-26"), id="months-on"
        ),
        pytest.param(
            date(2026, 11, 25),
            False,
            ("full", "as-of date moved backwards (2026-11-26 -> 2026-11-25)"),
            id="backwards",
        ),
        pytest.param(AS_OF, True, ("full", "--full"), id="full-asked"),
    ],
)
def test_the_plan_follows_the_move_of_the_as_of_date(wh, second, full, expected):
    cohort_data.build(wh)
    trial = cohort_data.evaluate_mini(wh)
    assert evaluate.last_plan(wh, trial)["reason"] == "no complete stored evaluation"
    evaluate.evaluate_trial(wh, trial, second, full=full)
    how = evaluate.last_plan(wh, trial)
    assert (how["mode"], how["reason"]) == expected


def test_other_parameters_mean_a_full_evaluation(wh):
    cohort_data.build(wh)
    trial = cohort_data.evaluate_mini(wh)
    cohort_data.evaluate_mini(wh, {"inc_renal.egfr_min": 15.0}, as_of=date(2026, 11, 27))
    how = evaluate.last_plan(wh, trial)
    assert how == {
        "mode": "full",
        "reason": "code, reference data, trial folder or parameters changed",
        "criteria_without_changes_on": [c.id for c in trial.criteria],
    }


@pytest.mark.parametrize(
    ("birth_date", "birth_year", "changes_on"),
    [
        pytest.param("1980-05-01", None, date(2027, 5, 1), id="next-birthday"),
        pytest.param("2008-11-27", None, date(2026, 11, 27), id="18-tomorrow"),
        pytest.param("2008-02-29", None, date(2027, 2, 28), id="leap-day-early-bound"),
        pytest.param(None, 1980, date(2027, 1, 1), id="year-only-next-january"),
    ],
)
def test_age_changes_on_the_next_birthday(wh, birth_date, birth_year, changes_on):
    Scenario(wh).patient("P1", birth_date=birth_date, birth_year=birth_year).evaluate("cart_autoimmune")
    got = wh.execute(
        "select changes_on, evidence_template from cart_autoimmune.criteria_results "
        "where criterion_id = 'inc_age'"
    ).fetchone()
    assert got[0] == changes_on
    assert "\x01as_of\x01" in got[1]  # the age text names the as-of date: a template is kept


def test_a_result_leaves_its_window_the_day_after_its_last_day_in_it(wh):
    scenario = Scenario(wh).patient("P1").lab("98979-8", "2026-11-01", 45, "mL/min/1.73m2")
    scenario.evaluate("cart_autoimmune")
    changes_on, evidence, template = wh.execute(
        "select changes_on, evidence, evidence_template from cart_autoimmune.criteria_results "
        "where criterion_id = 'inc_renal'"
    ).fetchone()
    assert changes_on == date(2027, 1, 31)  # 2026-11-01 + 90 days + 1
    assert evidence == "eGFR 45 mL/min/1.73m2 on 2026-11-01 >= 30 mL/min/1.73m2"
    assert template is None  # the evidence names no as-of date


def test_missing_evidence_is_stored_with_a_placeholder_and_resolved(wh):
    Scenario(wh).patient("P1").evaluate("cart_autoimmune")
    changes_on, evidence, template = wh.execute(
        "select changes_on, evidence, evidence_template from cart_autoimmune.criteria_results "
        "where criterion_id = 'inc_renal'"
    ).fetchone()
    assert changes_on is None  # no eGFR at all: only new data can change it
    assert evidence == "no eGFR result within 90 days before 2026-11-26"
    assert template == "no eGFR result within 90 days before \x01as_of\x01"
