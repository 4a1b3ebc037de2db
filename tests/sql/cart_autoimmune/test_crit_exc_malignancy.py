"""exc_malignancy: any malignancy before screening excludes, except the protocol's
exceptions; prostate cancer and DCIS need radical surgery, which is not in the extracts."""

import csv

import pytest

from pipelines.settings import SQL_DIR


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


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        pytest.param("314994000", "met", id="snomed-metastatic-prostate-cancer-is-not-local"),
        pytest.param("363406005", "met", id="snomed-colon-cancer"),
        pytest.param("94260004", "met", id="snomed-secondary-colon-cancer"),
        pytest.param("254837009", "met", id="snomed-breast-cancer"),
        pytest.param("423121009", "met", id="snomed-nsclc-stage-4"),
        pytest.param("67811000119102", "met", id="snomed-small-cell-lung-stage-1"),
        pytest.param("254701007", "not_met", id="snomed-basal-cell-skin-is-an-exception"),
        pytest.param("254651007", "not_met", id="snomed-squamous-cell-skin-is-an-exception"),
        pytest.param("92564006", "not_met", id="snomed-cervical-cis-is-an-exception"),
        pytest.param("399068003", "unknown", id="snomed-prostate-cancer-surgery-not-in-extracts"),
        pytest.param("109889007", "unknown", id="snomed-dcis-surgery-not-in-extracts"),
        pytest.param("126906006", "unknown", id="snomed-neoplasm-of-prostate-behaviour-unstated"),
        pytest.param("162573006", "unknown", id="snomed-suspected-lung-cancer"),
        pytest.param("68496003", "not_met", id="snomed-colon-polyp-benign"),
        pytest.param("713197008", "not_met", id="snomed-rectal-polyp-benign"),
    ],
)
def test_exc_malignancy_snomed_codes(scenario, code, expected):
    scenario.patient().diagnosis(code, "2018-05-01", code_system="SNOMED CT")
    status, evidence = scenario.evaluate()["exc_malignancy"]
    assert status == expected, evidence


@pytest.mark.parametrize(
    ("code", "code_system"),
    [
        pytest.param("363406005", "ICD10CM", id="snomed-code-sent-as-icd10"),
        pytest.param("C50.911", "SNOMEDCT", id="icd10-code-sent-as-snomed"),
        pytest.param("C61", "SNOMEDCT", id="icd10-prostate-sent-as-snomed"),
    ],
)
def test_exc_malignancy_matches_code_system_with_code(scenario, code, code_system):
    scenario.patient().diagnosis(code, "2018-05-01", code_system=code_system)
    assert scenario.evaluate()["exc_malignancy"][0] == "not_met"


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        pytest.param(["399068003", "314994000"], "met", id="snomed-prostate-with-metastasis"),
        pytest.param(["254701007", "126906006"], "unknown", id="snomed-exception-and-uncertain"),
        pytest.param(["126906006", "363406005"], "met", id="snomed-malignant-beats-uncertain"),
    ],
)
def test_exc_malignancy_snomed_combinations(scenario, codes, expected):
    scenario.patient()
    for code in codes:
        scenario.diagnosis(code, "2018-05-01", code_system="SNOMEDCT")
    status, evidence = scenario.evaluate()["exc_malignancy"]
    assert status == expected, evidence


def test_exc_malignancy_uncertain_behaviour_evidence_says_why(scenario):
    scenario.patient().diagnosis("126906006", "2019-02-03", code_system="SNOMEDCT")
    scenario.diagnosis("254701007", "2017-01-01", code_system="SNOMEDCT")
    assert scenario.evaluate()["exc_malignancy"] == (
        "unknown",
        "SNOMEDCT 126906006 on 2019-02-03 (neoplasm of uncertain or unstated behaviour: "
        "verify whether malignant); "
        "not counted (protocol exception): SNOMEDCT 254701007 on 2017-01-01",
    )


def test_exc_malignancy_snomed_rows_match_exactly():
    """A SNOMED CT code is no prefix of another concept: every SNOMED row matches exactly."""
    for trial in ("cart_autoimmune", "lupus_nephritis"):
        path = SQL_DIR / "trials" / trial / "valuesets" / "malignancy.csv"
        with path.open(encoding="utf-8") as f:
            rows = [r for r in csv.DictReader(f) if r["code_system"] == "SNOMEDCT"]
        assert rows
        assert all(r["match"] == "exact" and r["code"].isdigit() and r["source"] for r in rows), trial


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        pytest.param("363346000", "met", id="vsac-malignant-neoplastic-disease"),
        pytest.param("93655004", "met", id="vsac-melanoma-of-skin-is-not-an-exception"),
        pytest.param("402537005", "met", id="vsac-metastatic-basal-cell-carcinoma"),
        pytest.param("91860005", "met", id="vsac-aml-in-remission"),
        pytest.param("369606006", "met", id="vsac-metastasis-from-prostate"),
        pytest.param("427492003", "met", id="vsac-hormone-refractory-prostate-cancer-is-not-local"),
        pytest.param("403915004", "not_met", id="vsac-basal-cell-scalp"),
        pytest.param("403899005", "not_met", id="vsac-squamous-cell-skin-of-trunk"),
        pytest.param("417264005", "not_met", id="vsac-keratoacanthoma-of-skin"),
        pytest.param("93974005", "unknown", id="vsac-primary-prostate-cancer-surgery-not-in-extracts"),
        pytest.param("95014000", "unknown", id="vsac-uncertain-behaviour-of-prostate"),
        pytest.param("109995007", "unknown", id="vsac-myelodysplastic-syndrome-uncertain"),
        pytest.param("94047004", "unknown", id="vsac-primary-skin-malignancy-type-not-coded"),
        pytest.param("255071008", "unknown", id="vsac-squamous-cell-lip-skin-or-mucosa"),
        pytest.param("92691004", "not_met", id="prostate-carcinoma-in-situ-as-icd-d07-5"),
    ],
)
def test_exc_malignancy_vsac_snomed_codes(scenario, code, expected):
    scenario.patient().diagnosis(code, "2018-05-01", code_system="SNOMEDCT")
    status, evidence = scenario.evaluate()["exc_malignancy"]
    assert status == expected, evidence
