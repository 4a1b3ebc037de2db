"""cart_autoimmune value sets read the SNOMED CT codes sites record on problem lists
(issue 22): SLE and lupus nephritis, sepsis, pregnancy; a code matches only with its own
code system."""

import pytest


@pytest.mark.parametrize(
    ("code", "code_system", "expected"),
    [
        pytest.param("68815009", "SNOMEDCT", "met", id="lupus-nephritis-68815009-is-sle"),
        pytest.param("76521009", "SNOMEDCT", "met", id="sle-gn-who-class-iii-is-sle"),
        pytest.param("239890001", "SNOMED", "met", id="sle-multisystem"),
        pytest.param("55464009", "SNOMEDCT", "met", id="sle"),
        pytest.param("200938002", "SNOMEDCT", "not_met", id="discoid-lupus-is-not-sle"),
        pytest.param("68815009", "ICD10CM", "not_met", id="snomed-code-sent-as-icd10"),
    ],
)
def test_inc_diagnosis_snomed_sle(scenario, code, code_system, expected):
    scenario.patient().diagnosis(code, "2024-01-01", code_system=code_system)
    status, evidence = scenario.evaluate()["inc_diagnosis"]
    assert status == expected, evidence


@pytest.mark.parametrize(
    ("code", "criterion", "expected"),
    [
        pytest.param("91302008", "exc_active_infection", "met", id="snomed-sepsis"),
        pytest.param("76571007", "exc_active_infection", "met", id="snomed-septic-shock"),
        pytest.param("72892002", "exc_pregnancy", "met", id="snomed-normal-pregnancy"),
        pytest.param("233604007", "exc_active_infection", "not_met", id="snomed-pneumonia-not-in-sepsis-set"),
    ],
)
def test_cart_other_value_sets_snomed(scenario, code, criterion, expected):
    scenario.patient().diagnosis(code, "2026-11-20", code_system="SNOMEDCT")
    status, evidence = scenario.evaluate()[criterion]
    assert status == expected, evidence


@pytest.mark.parametrize(
    ("code", "criterion", "expected"),
    [
        pytest.param("161665007", "exc_transplant", "met", id="vsac-history-of-renal-transplant"),
        pytest.param("236436003", "exc_transplant", "met", id="vsac-esrf-with-renal-transplant"),
        pytest.param("77386006", "exc_pregnancy", "met", id="vsac-pregnant"),
        pytest.param("25380002", "inc_diagnosis", "met", id="vsac-pericarditis-due-to-sle"),
        pytest.param("200936003", "inc_diagnosis", "not_met", id="lupus-erythematosus-nos-is-not-sle"),
    ],
)
def test_cart_vsac_value_sets_snomed(scenario, code, criterion, expected):
    scenario.patient().diagnosis(code, "2026-11-01", code_system="SNOMEDCT")
    status, evidence = scenario.evaluate()[criterion]
    assert status == expected, evidence
