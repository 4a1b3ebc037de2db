"""lupus_nephritis value sets read the SNOMED CT codes sites record on problem lists
(issue 17 item 5, issue 22): lupus nephritis coded 68815009 is SLE with lupus nephritis,
end-stage renal disease excludes, a pregnancy excludes; a code matches only with its
own code system."""

import pytest

TRIAL = "lupus_nephritis"


@pytest.mark.parametrize(
    ("code", "code_system", "expected"),
    [
        pytest.param("68815009", "SNOMED CT", "met", id="sle-glomerulonephritis-syndrome-68815009"),
        pytest.param("36402006", "SNOMEDCT", "met", id="sle-gn-who-class-iv"),
        pytest.param("52042003", "SNOMEDCT", "met", id="sle-gn-who-class-v"),
        pytest.param("307755009", "SNOMEDCT", "met", id="sle-tubulo-interstitial"),
        pytest.param("55464009", "SNOMEDCT", "not_met", id="sle-without-kidney-code"),
        pytest.param("239887007", "SNOMEDCT", "not_met", id="sle-with-organ-involvement-no-kidney"),
        pytest.param("200938002", "SNOMEDCT", "not_met", id="discoid-lupus-is-not-sle"),
        pytest.param("68815009", "ICD10CM", "not_met", id="snomed-code-sent-as-icd10-does-not-match"),
    ],
)
def test_ln_diagnosis_snomed(scenario, code, code_system, expected):
    scenario.patient().diagnosis(code, "2024-01-01", code_system=code_system)
    status, evidence = scenario.evaluate(TRIAL)["inc_ln_diagnosis"]
    assert status == expected, evidence


def test_ln_diagnosis_68815009_evidence_and_disease(scenario, wh):
    scenario.patient().diagnosis("68815009", "2024-01-01", code_system="SNOMED")
    assert scenario.evaluate(TRIAL)["inc_ln_diagnosis"] == (
        "met",
        "lupus nephritis SNOMEDCT 68815009 on 2024-01-01",
    )
    diseases = wh.execute(f'select disease from "{TRIAL}".patient_diseases where patient_id = ?', ["P1"])
    assert [r[0] for r in diseases.fetchall()] == ["LN"]


@pytest.mark.parametrize(
    ("code", "criterion", "expected"),
    [
        pytest.param("46177005", "exc_kidney_failure", "met", id="snomed-end-stage-renal-disease"),
        pytest.param("72892002", "exc_pregnancy", "met", id="snomed-normal-pregnancy"),
        pytest.param("47200007", "exc_pregnancy", "met", id="snomed-high-risk-pregnancy"),
    ],
)
def test_ln_other_value_sets_snomed(scenario, code, criterion, expected):
    scenario.patient().diagnosis(code, "2026-11-01", code_system="SNOMEDCT")
    status, evidence = scenario.evaluate(TRIAL)[criterion]
    assert status == expected, evidence


@pytest.mark.parametrize(
    ("code", "criterion", "expected"),
    [
        pytest.param("236435004", "exc_kidney_failure", "met", id="vsac-esrf-on-dialysis"),
        pytest.param("236436003", "exc_kidney_failure", "met", id="vsac-esrf-with-renal-transplant"),
        pytest.param("161665007", "exc_kidney_failure", "met", id="vsac-history-of-renal-transplant"),
        pytest.param("77386006", "exc_pregnancy", "met", id="vsac-pregnant"),
        pytest.param("65147003", "exc_pregnancy", "met", id="vsac-twin-pregnancy"),
    ],
)
def test_ln_vsac_value_sets_snomed(scenario, code, criterion, expected):
    scenario.patient().diagnosis(code, "2026-11-01", code_system="SNOMEDCT")
    status, evidence = scenario.evaluate(TRIAL)[criterion]
    assert status == expected, evidence


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        pytest.param("95408003", "SLE", id="vsac-sle-arthritis"),
        pytest.param("403487009", "SLE", id="vsac-fulminating-sle"),
        pytest.param("80258006", None, id="drug-induced-lupus-left-out-as-m32-0"),
        pytest.param("19682006", None, id="lupus-hepatitis-is-not-sle"),
    ],
)
def test_ln_sle_codes_of_the_vsac_lupus_set(scenario, wh, code, expected):
    scenario.patient().diagnosis(code, "2024-01-01", code_system="SNOMEDCT")
    scenario.evaluate(TRIAL)
    query = f'select disease from "{TRIAL}".patient_diseases where patient_id = ?'
    rows = wh.execute(query, ["P1"]).fetchall()
    assert [r[0] for r in rows] == ([expected] if expected else [])
