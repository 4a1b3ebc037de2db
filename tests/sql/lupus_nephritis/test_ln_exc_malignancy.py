"""lupus_nephritis exc_malignancy: malignancy within the past 5 years, except adequately treated
basal or squamous cell skin cancer or cervical carcinoma in situ. met = excluded."""

import pytest

TRIAL = "lupus_nephritis"


@pytest.mark.parametrize(
    ("diagnoses", "expected"),
    [
        pytest.param([("C50.911", "2021-11-26")], "met", id="breast-cancer-exactly-5-years-ago"),
        pytest.param([("C50.911", "2021-11-25")], "not_met", id="breast-cancer-5-years-and-1-day-ago"),
        pytest.param(
            [("C50.911", "2015-01-01"), ("C50.911", "2025-01-01")], "met", id="old-cancer-recorded-again"
        ),
        pytest.param([("C61", "2024-01-01")], "met", id="prostate-cancer-is-no-exception-here"),
        pytest.param([("C44.311", "2024-01-01")], "unknown", id="basal-cell-skin-verify-treatment"),
        pytest.param([("C44.92", "2024-01-01")], "unknown", id="squamous-cell-skin-verify-treatment"),
        pytest.param([("D06.9", "2024-01-01")], "unknown", id="cervical-cis-verify-treatment"),
        pytest.param([("C44.90", "2024-01-01")], "unknown", id="skin-cancer-type-not-coded"),
        pytest.param([("C44.311", "2019-01-01")], "not_met", id="old-basal-cell"),
        pytest.param(
            [("C44.311", "2024-01-01"), ("C18.9", "2023-01-01")], "met", id="malignant-beats-exception"
        ),
        pytest.param([("C50.911", "2026-11-27")], "not_met", id="after-as-of-ignored"),
        pytest.param([], "not_met", id="no-record"),
    ],
)
def test_ln_exc_malignancy_edges(scenario, diagnoses, expected):
    scenario.patient()
    for code, day in diagnoses:
        scenario.diagnosis(code, day)
    status, evidence = scenario.evaluate(TRIAL)["exc_malignancy"]
    assert status == expected, evidence


def test_ln_exc_malignancy_names_records_older_than_the_window(scenario):
    scenario.patient().diagnosis("C50.911", "2019-03-01")
    _, evidence = scenario.evaluate(TRIAL)["exc_malignancy"]
    assert evidence == (
        "no malignancy recorded since 2021-11-26; "
        "older than 5 years, not counted: ICD10CM C50.911 on 2019-03-01"
    )


def test_ln_exc_malignancy_lookback_is_a_parameter(scenario):
    scenario.patient().diagnosis("C50.911", "2019-03-01")
    overrides = {"exc_malignancy.lookback_years": 10}
    assert scenario.evaluate(TRIAL, overrides=overrides)["exc_malignancy"][0] == "met"
