"""lupus_nephritis inc_age: 18 to 75 years inclusive on the as-of date (2026-11-26)."""

import pytest

TRIAL = "lupus_nephritis"


@pytest.mark.parametrize(
    ("birth", "expected"),
    [
        pytest.param({"birth_date": "2008-11-26"}, "met", id="18th-birthday-on-the-as-of-date"),
        pytest.param({"birth_date": "2008-11-27"}, "not_met", id="17-turns-18-the-day-after"),
        pytest.param({"birth_date": "1950-11-27"}, "met", id="75-turns-76-the-day-after"),
        pytest.param({"birth_date": "1950-11-26"}, "not_met", id="76th-birthday-on-the-as-of-date"),
        pytest.param({"birth_date": None, "birth_year": 1980}, "met", id="birth-year-only-45-or-46"),
        pytest.param({"birth_date": None, "birth_year": 2008}, "unknown", id="birth-year-only-17-or-18"),
        pytest.param({"birth_date": None, "birth_year": 2007}, "met", id="birth-year-only-18-or-19"),
        pytest.param({"birth_date": None, "birth_year": 1951}, "met", id="birth-year-only-74-or-75"),
        pytest.param({"birth_date": None, "birth_year": 1950}, "unknown", id="birth-year-only-75-or-76"),
        pytest.param({"birth_date": None, "birth_year": 1949}, "not_met", id="birth-year-only-76-or-77"),
    ],
)
def test_ln_inc_age_edges(scenario, birth, expected):
    scenario.patient(**birth)
    status, evidence = scenario.evaluate(TRIAL)["inc_age"]
    assert status == expected, evidence


def test_ln_inc_age_evidence_names_the_range_and_never_the_birth_date(scenario):
    scenario.patient(birth_date="1950-11-26")
    _, evidence = scenario.evaluate(TRIAL)["inc_age"]
    assert evidence == "age 76 on 2026-11-26 > 75"


def test_ln_inc_age_bounds_are_parameters(scenario):
    scenario.patient(birth_date="1950-11-26")
    overrides = {"inc_age.max_age_years": 80}
    assert scenario.evaluate(TRIAL, overrides=overrides)["inc_age"][0] == "met"
