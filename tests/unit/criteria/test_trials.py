"""Trial folders: discovery, manifest <-> files one to one, and the invalid folders'
messages (tests/fixtures/trials/<case>/expected_error.txt)."""

from pathlib import Path

import pytest

from pipelines.criteria.trials import discover_trials, load_trial
from pipelines.errors import TrialConfigError
from pipelines.settings import SQL_DIR

FIXTURES = Path(__file__).parents[2] / "fixtures" / "trials"
INVALID = sorted(p.name for p in FIXTURES.iterdir() if (p / "expected_error.txt").exists())
REAL_TRIALS = discover_trials(SQL_DIR / "trials")


def test_cart_autoimmune_is_discovered_from_its_folder():
    assert "cart_autoimmune" in REAL_TRIALS


@pytest.mark.parametrize("trial_id", REAL_TRIALS)
def test_manifest_and_criteria_files_match_one_to_one(trial_id):
    trial = load_trial(SQL_DIR / "trials", trial_id)
    listed = sorted(c.file.name for c in trial.criteria)
    on_disk = sorted(p.name for p in (trial.folder / "criteria").glob("*.sql"))
    assert listed == on_disk
    assert [f"crit_{c.id}.sql" for c in trial.criteria] == [c.file.name for c in trial.criteria]


@pytest.mark.parametrize("trial_id", REAL_TRIALS)
def test_every_criterion_has_wording_and_every_parameter_a_default(trial_id):
    trial = load_trial(SQL_DIR / "trials", trial_id)
    for criterion in trial.criteria:
        assert criterion.wording.strip(), criterion.id
    for parameter in trial.parameters.values():
        assert parameter.description.strip(), parameter.key


@pytest.mark.parametrize("case", INVALID)
def test_invalid_trial_folder_is_refused_with_its_message(case):
    expected = (FIXTURES / case / "expected_error.txt").read_text().strip()
    with pytest.raises(TrialConfigError) as caught:
        load_trial(FIXTURES, case)
    assert expected in str(caught.value)


def test_unknown_trial_lists_the_trials_found():
    with pytest.raises(TrialConfigError, match=r"unknown trial 'nope' \(trials found: .*valid"):
        load_trial(FIXTURES, "nope")


def test_a_new_trial_folder_is_evaluated_without_python_changes(scenario):
    scenario.patient("P1", birth_date="2000-01-01").diagnosis("M32.14", "2020-01-01", patient_id="P1")
    scenario.patient("P2", birth_date="2015-01-01")
    results = scenario.evaluate("valid", trials_dir=FIXTURES)
    assert results == {"inc_age": ("met", "age"), "inc_dx": ("met", "dx")}
    assert scenario.eligibility("valid", "P2")[0] == "ineligible"


@pytest.mark.parametrize(
    ("key", "text", "message"),
    [
        pytest.param("inc_renal.egfr_min", "abc", "is not a number", id="not-a-number"),
        pytest.param("inc_renal.window_days", "1.5", "whole number of days", id="fractional-days"),
        pytest.param("inc_renal.window_days", "-3", "whole number of days", id="negative-days"),
    ],
)
def test_parameter_values_are_checked_against_their_type(key, text, message):
    trial = load_trial(SQL_DIR / "trials", "cart_autoimmune")
    with pytest.raises(ValueError, match=message):
        trial.parameters[key].parse(text)
