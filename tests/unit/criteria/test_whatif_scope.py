"""Which criteria a what-if re-evaluates: only those that certainly read a changed
parameter; anything less certain means the whole trial (None)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipelines.criteria import trials
from pipelines.criteria.scope import criteria_reading, strip_comments
from pipelines.settings import SQL_DIR
from tests import cohort_data


@pytest.fixture
def trial_copy(tmp_path) -> Path:
    """A copy of the mini trial whose SQL a test may edit."""
    folder = tmp_path / "trials"
    shutil.copytree(cohort_data.TRIALS_DIR / cohort_data.TRIAL_ID, folder / cohort_data.TRIAL_ID)
    return folder


def _edit(folder: Path, relative: str, old: str, new: str) -> None:
    path = folder / cohort_data.TRIAL_ID / relative
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _ids(folder: Path, keys: list[str]) -> list[str] | None:
    found = criteria_reading(trials.load_trial(folder, cohort_data.TRIAL_ID), keys)
    return None if found is None else [c.id for c in found]


@pytest.mark.parametrize("trial_id", ["cart_autoimmune", "lupus_nephritis"])
def test_every_parameter_of_the_shipped_trials_is_read_by_its_own_criterion_only(trial_id):
    trial = trials.load_trial(SQL_DIR / "trials", trial_id)
    for key, parameter in trial.parameters.items():
        assert [c.id for c in criteria_reading(trial, [key])] == [parameter.criterion_id], key


def test_several_parameters_re_evaluate_each_criterion_once_in_manifest_order(trial_copy):
    keys = ["inc_renal.egfr_min", "inc_age.min_age_years", "inc_renal.window_days"]
    assert _ids(trial_copy, keys) == ["inc_age", "inc_renal"]


def test_comments_naming_params_do_not_count(trial_copy):
    # every criterion's header says "Reads: ... params."
    assert "params" in (trial_copy / "mini_trial" / "criteria" / "crit_inc_renal.sql").read_text()
    assert _ids(trial_copy, ["inc_renal.egfr_min"]) == ["inc_renal"]


def test_a_parameter_read_by_two_criteria_re_evaluates_both(trial_copy):
    _edit(
        trial_copy,
        "criteria/crit_inc_age.sql",
        "param('inc_age', 'min_age_years') as min_age,",
        "param('inc_age', 'min_age_years') + 0 * param('inc_renal', 'egfr_min') as min_age,",
    )
    assert _ids(trial_copy, ["inc_renal.egfr_min"]) == ["inc_age", "inc_renal"]
    assert _ids(trial_copy, ["inc_renal.window_days"]) == ["inc_renal"]


@pytest.mark.parametrize(
    ("relative", "old", "new"),
    [
        pytest.param(
            "criteria/crit_inc_age.sql",
            "param('inc_age', 'min_age_years') as min_age,",
            "(select max(value_num) from params) as min_age,",
            id="criterion-reads-params-table",
        ),
        pytest.param(
            "criteria/crit_inc_age.sql",
            "param('inc_age', 'min_age_years') as min_age,",
            "param('inc_age', 'min_' || 'age_years') as min_age,",
            id="parameter-name-not-a-literal",
        ),
        pytest.param(
            "criteria/crit_inc_age.sql",
            "from stg_patients as p",
            "from stg_patients as p semi join crit_inc_renal as r on p.patient_id = r.patient_id",
            id="criterion-reads-another-criterion",
        ),
        pytest.param(
            "criteria/crit_inc_age.sql",
            "from stg_patients as p",
            "from stg_patients as p semi join query_table('pa' || 'rams') as q on true",
            id="sql-from-a-string",
        ),
        pytest.param(
            "diseases.sql",
            "where d.diagnosis_date <= as_of()",
            "where d.diagnosis_date <= as_of() and param('inc_age', 'min_age_years') > 0",
            id="diseases-sql-reads-a-parameter",
        ),
    ],
)
def test_uncertain_dependence_means_the_whole_trial(trial_copy, relative, old, new):
    _edit(trial_copy, relative, old, new)
    assert _ids(trial_copy, ["inc_renal.egfr_min"]) is None


def test_strip_comments_keeps_string_literals_and_quoted_names():
    sql = "select '-- not a comment' as \"a--b\", 1 -- a comment\n/* block\n params */ from t"
    assert strip_comments(sql) == "select '-- not a comment' as \"a--b\", 1 \n  from t"
