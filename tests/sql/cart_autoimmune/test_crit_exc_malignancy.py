"""exc_malignancy: any malignancy before screening excludes, except the protocol's
exceptions; prostate cancer and DCIS need radical surgery, which is not in the extracts."""

import pytest


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        pytest.param("C50.911", "met", id="breast-cancer"),
        pytest.param("c50911", "met", id="breast-cancer-no-dot-lower-case"),
        pytest.param("C83.30", "met", id="lymphoma"),
        pytest.param("C43.9", "met", id="melanoma-is-not-an-exception"),
        pytest.param("C4A.9", "met", id="merkel-cell-carcinoma"),
        pytest.param("C53.9", "met", id="invasive-cervical-cancer"),
        pytest.param("C44.311", "not_met", id="basal-cell-skin-nose"),
        pytest.param("C44.41", "not_met", id="basal-cell-scalp"),
        pytest.param("C44.1121", "not_met", id="basal-cell-eyelid-7-characters"),
        pytest.param("C44.92", "not_met", id="squamous-cell-skin-unspecified"),
        pytest.param("C44.621", "not_met", id="squamous-cell-upper-limb"),
        pytest.param("C44.99", "met", id="other-skin-malignancy-is-not-an-exception"),
        pytest.param("C44.131", "met", id="sebaceous-carcinoma-eyelid-is-not-an-exception"),
        pytest.param("C44.90", "unknown", id="skin-cancer-type-unspecified"),
        pytest.param("C44.301", "unknown", id="skin-cancer-nose-type-unspecified"),
        pytest.param("D06.9", "not_met", id="cervical-carcinoma-in-situ"),
        pytest.param("D06.0", "not_met", id="cervical-carcinoma-in-situ-endocervix"),
        pytest.param("C61", "unknown", id="prostate-cancer-surgery-not-in-extracts"),
        pytest.param("D05.10", "unknown", id="dcis-surgery-not-in-extracts"),
        pytest.param("D05.12", "unknown", id="dcis-left-breast"),
        pytest.param("D05.00", "not_met", id="lobular-carcinoma-in-situ-not-a-malignancy"),
        pytest.param("D49.9", "not_met", id="neoplasm-unspecified-behaviour-not-malignant"),
    ],
)
def test_exc_malignancy_codes(scenario, code, expected):
    scenario.patient().diagnosis(code, "2018-05-01")
    status, evidence = scenario.evaluate()["exc_malignancy"]
    assert status == expected, evidence


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        pytest.param(["C44.311", "C50.911"], "met", id="exception-plus-malignancy"),
        pytest.param(["C61", "C79.51"], "met", id="prostate-with-bone-metastasis-is-not-local"),
        pytest.param(["C61", "C44.92"], "unknown", id="prostate-and-skin-exception"),
        pytest.param(["D06.9", "C44.01"], "not_met", id="only-exceptions"),
    ],
)
def test_exc_malignancy_combinations(scenario, codes, expected):
    scenario.patient()
    for code in codes:
        scenario.diagnosis(code, "2018-05-01")
    status, evidence = scenario.evaluate()["exc_malignancy"]
    assert status == expected, evidence


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        pytest.param("1990-01-01", "met", id="any-time-before-screening"),
        pytest.param("2026-11-26", "met", id="on-the-as-of-date"),
        pytest.param("2026-11-27", "not_met", id="after-the-as-of-date-ignored"),
    ],
)
def test_exc_malignancy_has_no_lookback_limit(scenario, date, expected):
    scenario.patient().diagnosis("C34.90", date)
    assert scenario.evaluate()["exc_malignancy"][0] == expected


def test_exc_malignancy_evidence(scenario):
    scenario.patient().diagnosis("C44.311", "2020-01-01").diagnosis("D05.10", "2022-03-04")
    status, evidence = scenario.evaluate()["exc_malignancy"]
    assert status == "unknown"
    assert evidence == (
        "ICD10CM D05.10 on 2022-03-04 (excepted only after radical surgery: verify); "
        "not counted (protocol exception): ICD10CM C44.311 on 2020-01-01"
    )


def test_exc_malignancy_no_record_is_not_met(scenario):
    scenario.patient()
    assert scenario.evaluate()["exc_malignancy"] == (
        "not_met",
        "no malignancy recorded on or before 2026-11-26",
    )
