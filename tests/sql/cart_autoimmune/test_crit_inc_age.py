"""inc_age: age >= 18 in completed years on the as-of date (2026-11-26)."""

from datetime import date

import pytest


@pytest.mark.parametrize(
    ("birth_date", "birth_year", "expected"),
    [
        pytest.param("2008-11-26", None, "met", id="18th-birthday-on-as-of-date"),
        pytest.param("2008-11-27", None, "not_met", id="18th-birthday-one-day-after"),
        pytest.param("2008-11-25", None, "met", id="18-and-one-day"),
        pytest.param("1950-01-01", None, "met", id="elderly"),
        pytest.param(None, 2007, "met", id="birth-year-only-surely-18"),
        pytest.param(None, 2008, "unknown", id="birth-year-only-17-or-18"),
        pytest.param(None, 2009, "not_met", id="birth-year-only-surely-under-18"),
    ],
)
def test_inc_age_counts_completed_years_on_the_as_of_date(scenario, birth_date, birth_year, expected):
    scenario.patient(birth_date=birth_date, birth_year=birth_year)
    status, evidence = scenario.evaluate()["inc_age"]
    assert status == expected, evidence


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        pytest.param(date(2026, 2, 27), "not_met", id="two-days-before-1-march"),
        pytest.param(date(2026, 2, 28), "not_met", id="28-february-of-a-common-year-still-17"),
        pytest.param(date(2026, 3, 1), "met", id="1-march-of-a-common-year-18"),
        pytest.param(date(2028, 2, 29), "met", id="29-february-of-a-leap-year"),
    ],
)
def test_inc_age_leap_day_birthday_completes_a_year_on_1_march_in_a_common_year(scenario, as_of, expected):
    # born 29 February 2008: in 2026 (no 29 February) the 18th year is completed on 1 March
    scenario.patient(birth_date="2008-02-29")
    status, evidence = scenario.evaluate(as_of=as_of)["inc_age"]
    assert status == expected, evidence


def test_inc_age_threshold_is_a_parameter(scenario):
    scenario.patient(birth_date="2006-01-01")
    assert scenario.evaluate(overrides={"inc_age.min_age_years": 21})["inc_age"][0] == "not_met"


def test_inc_age_evidence_does_not_show_the_birth_date(scenario):
    scenario.patient(birth_date="1980-05-01")
    _, evidence = scenario.evaluate()["inc_age"]
    assert "1980" not in evidence
    assert evidence == "age 46 on 2026-11-26 >= 18"
