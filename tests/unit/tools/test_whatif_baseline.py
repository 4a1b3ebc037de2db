"""A what-if starts from the trial's stored evaluation only while it is current (same
as-of date, parameters, staged data and rules); otherwise it evaluates the baseline.
Either way the result is the same and the warehouse is left exactly as it was."""

from __future__ import annotations

import shutil
from datetime import datetime

import pytest

from pipelines.criteria import evaluate, trials
from pipelines.errors import TrialConfigError
from pipelines.staging import build as staging
from pipelines.tools import whatif
from tests import cohort_data

LAYOUT = {"SITE_A": {"eligible": 3, "potential": 2, "low_egfr": 2, "no_disease": 1, "deceased": 1}}
CHANGE = {"inc_renal.egfr_min": 15.0}


def _defaults(trial: trials.Trial) -> dict[str, float | str]:
    return {key: p.default for key, p in trial.parameters.items()}


def _schema_content(con) -> dict[str, list]:
    """Every table's rows and every view's definition of the mini trial's schema."""
    objects = con.execute(
        "select table_name, table_type from information_schema.tables "
        "where table_schema = 'mini_trial' order by table_name"
    ).fetchall()
    content = {}
    for name, kind in objects:
        if kind == "VIEW":
            content[name] = con.execute(
                "select sql from duckdb_views() where schema_name = 'mini_trial' and view_name = ?", [name]
            ).fetchall()
        else:
            content[name] = con.execute(f'select * from mini_trial."{name}" order by all').fetchall()
    return content


@pytest.fixture
def evaluated(wh):
    cohort_data.build(wh, LAYOUT)
    return cohort_data.evaluate_mini(wh)


def _result_without_method(result: dict) -> dict:
    return {k: v for k, v in result.items() if k != "evaluation"}


def test_a_fresh_evaluation_is_the_baseline_and_only_the_changed_criterion_is_re_evaluated(wh, evaluated):
    before = _schema_content(wh)
    result = whatif.evaluate_whatif(wh, evaluated, cohort_data.AS_OF, _defaults(evaluated), CHANGE)
    assert result["evaluation"] == {
        "baseline": "stored",
        "criteria_evaluated": ["inc_renal"],
        "whole_trial": False,
    }
    assert _schema_content(wh) == before


def test_new_staged_data_means_the_baseline_is_evaluated_again(wh, evaluated):
    stale = whatif.evaluate_whatif(wh, evaluated, cohort_data.AS_OF, _defaults(evaluated), CHANGE)
    cohort_data.add_patient(wh, "SITE_A-low_egfr-99", "SITE_A", "low_egfr", 900)
    staging.build_staging(wh)
    assert not evaluate.is_current(wh, evaluated, cohort_data.AS_OF, _defaults(evaluated))
    result = whatif.evaluate_whatif(wh, evaluated, cohort_data.AS_OF, _defaults(evaluated), CHANGE)
    assert result["evaluation"]["baseline"] == "evaluated"
    assert "SITE_A-low_egfr-99" in {p["patient_id"] for p in result["patients"]}
    assert len(result["patients"]) == len(stale["patients"]) + 1


def test_a_newly_loaded_file_means_the_stored_evaluation_is_not_current(wh, evaluated):
    wh.execute(
        "insert into load_ledger (load_id, file_name, sha256, status, loaded_at) "
        "values (99, 'labs-new.csv', 'abc', 'loaded', ?)",
        [datetime.now()],
    )
    assert not evaluate.is_current(wh, evaluated, cohort_data.AS_OF, _defaults(evaluated))


def test_another_as_of_date_or_other_parameters_mean_the_baseline_is_evaluated(wh, evaluated):
    defaults = _defaults(evaluated)
    assert evaluate.is_current(wh, evaluated, cohort_data.AS_OF, defaults)
    assert not evaluate.is_current(wh, evaluated, cohort_data.AS_OF.replace(day=1), defaults)
    assert not evaluate.is_current(
        wh, evaluated, cohort_data.AS_OF, {**defaults, "inc_age.min_age_years": 21.0}
    )
    cohort_data.evaluate_mini(wh, {"inc_age.min_age_years": 21.0})
    assert not evaluate.is_current(wh, evaluated, cohort_data.AS_OF, defaults)
    result = whatif.evaluate_whatif(wh, evaluated, cohort_data.AS_OF, defaults, CHANGE)
    assert result["evaluation"]["baseline"] == "evaluated"


def test_an_edited_trial_file_means_the_stored_evaluation_is_not_current(wh, tmp_path):
    cohort_data.build(wh, LAYOUT)
    folder = tmp_path / "trials"
    shutil.copytree(cohort_data.TRIALS_DIR / cohort_data.TRIAL_ID, folder / cohort_data.TRIAL_ID)
    trial = trials.load_trial(folder, cohort_data.TRIAL_ID)
    evaluate.evaluate_trial(wh, trial, cohort_data.AS_OF)
    assert evaluate.is_current(wh, trial, cohort_data.AS_OF, _defaults(trial))
    sql = folder / cohort_data.TRIAL_ID / "criteria" / "crit_inc_age.sql"
    sql.write_text(sql.read_text().replace(">= min_age then 'met'", "> min_age then 'met'", 1))
    assert not evaluate.is_current(wh, trial, cohort_data.AS_OF, _defaults(trial))


def test_a_failed_evaluation_leaves_no_current_evaluation(wh, tmp_path):
    cohort_data.build(wh, LAYOUT)
    folder = tmp_path / "trials"
    shutil.copytree(cohort_data.TRIALS_DIR / cohort_data.TRIAL_ID, folder / cohort_data.TRIAL_ID)
    trial = trials.load_trial(folder, cohort_data.TRIAL_ID)
    evaluate.evaluate_trial(wh, trial, cohort_data.AS_OF)
    sql = folder / cohort_data.TRIAL_ID / "criteria" / "crit_inc_consent.sql"
    sql.write_text(sql.read_text().replace("from stg_patients", "from stg_patients, (values (1), (2))", 1))
    with pytest.raises(TrialConfigError, match="expected exactly one row"):
        evaluate.evaluate_trial(wh, trial, cohort_data.AS_OF)
    sql.write_text(sql.read_text().replace("from stg_patients, (values (1), (2))", "from stg_patients", 1))
    assert not evaluate.is_current(wh, trial, cohort_data.AS_OF, _defaults(trial))


@pytest.mark.parametrize(
    "changes",
    [CHANGE, {"inc_renal.window_days": 10.0}, {"inc_age.min_age_years": 50.0, "inc_renal.egfr_min": 90.0}],
    ids=["egfr_min", "window", "two"],
)
def test_stored_and_evaluated_baselines_give_the_same_result(wh, evaluated, changes):
    fast = whatif.evaluate_whatif(wh, evaluated, cohort_data.AS_OF, _defaults(evaluated), changes)
    wh.execute("update mini_trial.evaluation set fingerprint = 'stale'")  # as if something changed
    slow = whatif.evaluate_whatif(wh, evaluated, cohort_data.AS_OF, _defaults(evaluated), changes)
    assert fast["evaluation"]["baseline"] == "stored" and slow["evaluation"]["baseline"] == "evaluated"
    assert _result_without_method(fast) == _result_without_method(slow)
    assert fast["patients"] or any(s["delta"] for s in fast["statuses"])
