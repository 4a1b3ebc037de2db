"""lupus_nephritis inc_age: 18 to 75 years inclusive on the as-of date (2026-11-26)."""

from datetime import date

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


@pytest.mark.parametrize(
    ("as_of", "expected", "age"),
    [
        pytest.param(date(2026, 2, 28), "not_met", 17, id="28-february-of-a-common-year-still-17"),
        pytest.param(date(2026, 3, 1), "met", 18, id="1-march-of-a-common-year-18"),
    ],
)
def test_ln_inc_age_leap_day_birthday_completes_a_year_on_1_march_in_a_common_year(
    scenario, as_of, expected, age
):
    scenario.patient(birth_date="2008-02-29")
    status, evidence = scenario.evaluate(TRIAL, as_of=as_of)["inc_age"]
    assert status == expected, evidence
    assert evidence.startswith(f"age {age} on "), evidence


def test_ln_inc_age_evidence_names_the_range_and_never_the_birth_date(scenario):
    scenario.patient(birth_date="1950-11-26")
    _, evidence = scenario.evaluate(TRIAL)["inc_age"]
    assert evidence == "age 76 on 2026-11-26 > 75"


def test_ln_inc_age_bounds_are_parameters(scenario):
    scenario.patient(birth_date="1950-11-26")
    overrides = {"inc_age.max_age_years": 80}
    assert scenario.evaluate(TRIAL, overrides=overrides)["inc_age"][0] == "met"
