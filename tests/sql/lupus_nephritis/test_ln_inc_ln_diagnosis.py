"""lupus_nephritis inc_ln_diagnosis: SLE with lupus nephritis documented."""

import pytest

TRIAL = "lupus_nephritis"


@pytest.mark.parametrize(
    ("diagnoses", "expected"),
    [
        pytest.param([("M32.14", "ICD10CM")], "met", id="glomerular-disease-in-sle"),
        pytest.param([("m3215", "ICD10CM")], "met", id="tubulo-interstitial-in-sle-lower-case-no-dot"),
        pytest.param([("M32.9", "ICD10CM")], "not_met", id="sle-without-kidney-code"),
        pytest.param(
            [("M32.9", "ICD10CM"), ("N05.9", "ICD10CM")], "unknown", id="sle-and-nephritic-separately"
        ),
        pytest.param([("55464009", "SNOMEDCT"), ("N08", "ICD10CM")], "unknown", id="snomed-sle-and-n08"),
        pytest.param(
            [("M32.19", "ICD10CM"), ("N04.1", "ICD10CM")], "unknown", id="sle-and-nephrotic-separately"
        ),
        pytest.param([("N05.9", "ICD10CM")], "not_met", id="kidney-code-without-sle"),
        pytest.param(
            [("M32.0", "ICD10CM"), ("N08", "ICD10CM")], "not_met", id="drug-induced-lupus-is-not-sle"
        ),
        pytest.param([], "not_met", id="no-diagnosis"),
    ],
)
def test_ln_inc_ln_diagnosis_edges(scenario, diagnoses, expected):
    scenario.patient()
    for code, system in diagnoses:
        scenario.diagnosis(code, "2025-06-01", code_system=system)
    status, evidence = scenario.evaluate(TRIAL)["inc_ln_diagnosis"]
    assert status == expected, evidence


def test_ln_inc_ln_diagnosis_ignores_records_after_the_as_of_date(scenario):
    scenario.patient().diagnosis("M32.14", "2026-11-27").diagnosis("M32.9", "2024-01-01")
    status, evidence = scenario.evaluate(TRIAL)["inc_ln_diagnosis"]
    assert status == "not_met", evidence


def test_ln_inc_ln_diagnosis_evidence_asks_to_verify_the_attribution(scenario):
    scenario.patient().diagnosis("M32.9", "2024-01-01").diagnosis("N05.9", "2025-02-03")
    _, evidence = scenario.evaluate(TRIAL)["inc_ln_diagnosis"]
    assert "N05.9 on 2025-02-03 recorded separately: verify" in evidence


def test_ln_diseases_column_names_ln_and_sle(scenario):
    scenario.patient().diagnosis("M32.14", "2024-01-01").diagnosis("M32.9", "2023-01-01")
    scenario.evaluate(TRIAL)
    rows = scenario.con.execute(
        'select disease from "lupus_nephritis".patient_diseases order by disease'
    ).fetchall()
    assert rows == [("LN",), ("SLE",)]
