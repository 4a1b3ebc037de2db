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


@pytest.mark.parametrize(
    ("code", "day", "expected"),
    [
        pytest.param("314994000", "2024-01-01", "met", id="snomed-metastatic-prostate-cancer"),
        pytest.param("399068003", "2024-01-01", "met", id="snomed-prostate-cancer-is-no-exception-here"),
        pytest.param("254837009", "2024-01-01", "met", id="snomed-breast-cancer"),
        pytest.param("254837009", "2019-01-01", "not_met", id="snomed-breast-cancer-older-than-5-years"),
        pytest.param("254701007", "2024-01-01", "unknown", id="snomed-basal-cell-verify-treatment"),
        pytest.param("254701007", "2019-01-01", "not_met", id="snomed-old-basal-cell"),
        pytest.param("254651007", "2024-01-01", "unknown", id="snomed-squamous-cell-verify-treatment"),
        pytest.param("92564006", "2024-01-01", "unknown", id="snomed-cervical-cis-verify-treatment"),
        pytest.param("126906006", "2024-01-01", "unknown", id="snomed-neoplasm-behaviour-unstated"),
        pytest.param("162573006", "2024-01-01", "unknown", id="snomed-suspected-lung-cancer"),
        pytest.param("68496003", "2024-01-01", "not_met", id="snomed-colon-polyp-benign"),
    ],
)
def test_ln_exc_malignancy_snomed_codes(scenario, code, day, expected):
    scenario.patient().diagnosis(code, day, code_system="SNOMED")
    status, evidence = scenario.evaluate(TRIAL)["exc_malignancy"]
    assert status == expected, evidence


def test_ln_exc_malignancy_uncertain_behaviour_evidence_says_why(scenario):
    scenario.patient().diagnosis("126906006", "2024-02-03", code_system="SNOMEDCT")
    assert scenario.evaluate(TRIAL)["exc_malignancy"] == (
        "unknown",
        "SNOMEDCT 126906006 on 2024-02-03 (neoplasm of uncertain or unstated behaviour: "
        "verify whether malignant)",
    )


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        pytest.param("93974005", "met", id="vsac-primary-prostate-cancer"),
        pytest.param("91860005", "met", id="vsac-aml-in-remission"),
        pytest.param("402537005", "met", id="vsac-metastatic-basal-cell-carcinoma"),
        pytest.param("403915004", "unknown", id="vsac-basal-cell-scalp-verify-treatment"),
        pytest.param("95014000", "unknown", id="vsac-uncertain-behaviour-of-prostate"),
        pytest.param("94047004", "unknown", id="vsac-skin-malignancy-type-not-coded"),
    ],
)
def test_ln_exc_malignancy_vsac_snomed_codes(scenario, code, expected):
    scenario.patient().diagnosis(code, "2024-01-01", code_system="SNOMEDCT")
    status, evidence = scenario.evaluate(TRIAL)["exc_malignancy"]
    assert status == expected, evidence
