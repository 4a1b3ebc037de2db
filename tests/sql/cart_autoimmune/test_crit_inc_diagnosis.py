"""inc_diagnosis: SLE, Sjogren's, SSc, DM or AAV, any code format."""

import pytest


@pytest.mark.parametrize(
    ("code_system", "code", "expected"),
    [
        pytest.param("ICD10CM", "M32.14", "met", id="sle-with-dot"),
        pytest.param("ICD10CM", "m3214", "met", id="sle-lower-case-no-dot"),
        pytest.param("ICD-10-CM", " M32.9 ", "met", id="sle-spaces-and-system-spelling"),
        pytest.param("ICD10CM", "M35.0C", "met", id="sjogren-prefix-subcode"),
        pytest.param("ICD10CM", "M34.81", "met", id="ssc-with-lung"),
        pytest.param("ICD10CM", "M33.10", "met", id="dermatomyositis"),
        pytest.param("ICD10CM", "M31.7", "met", id="microscopic-polyangiitis"),
        pytest.param("SNOMEDCT", "55464009", "met", id="sle-snomed"),
        pytest.param("ICD10CM", "L93.0", "not_met", id="discoid-lupus-is-not-sle"),
        pytest.param("ICD10CM", "M33.20", "not_met", id="polymyositis-is-not-dm"),
        pytest.param("ICD10CM", "M33.00", "met", id="juvenile-dermatomyositis-is-dermatomyositis"),
        pytest.param("ICD10CM", "m33.02", "met", id="juvenile-dermatomyositis-with-myopathy"),
        pytest.param("ICD10CM", "M33.13", "met", id="amyopathic-dermatomyositis"),
        pytest.param("ICD10CM", "M30.1", "met", id="egpa-churg-strauss"),
        pytest.param("ICD10CM", "M3131", "met", id="gpa-with-renal-involvement-no-dot"),
        pytest.param("ICD10CM", "M32.15", "met", id="sle-tubulo-interstitial-lupus-nephritis"),
        pytest.param("ICD10CM", "m34.1", "met", id="crest-syndrome-lower-case"),
        pytest.param("ICD10CM", "M34.2", "not_met", id="drug-induced-ssc"),
    ],
)
def test_inc_diagnosis_matches_codes_in_any_format(scenario, code_system, code, expected):
    scenario.patient().diagnosis(code, "2024-01-01", code_system=code_system)
    status, evidence = scenario.evaluate()["inc_diagnosis"]
    assert status == expected, evidence


def test_inc_diagnosis_ignores_diagnoses_after_the_as_of_date(scenario):
    scenario.patient().diagnosis("M32.14", "2026-11-27")
    assert scenario.evaluate()["inc_diagnosis"][0] == "not_met"


def test_inc_diagnosis_absent_record_is_not_met(scenario):
    scenario.patient()
    status, evidence = scenario.evaluate()["inc_diagnosis"]
    assert status == "not_met"
    assert "no diagnosis" in evidence


def test_juvenile_dermatomyositis_counts_as_dm_for_disease_activity(scenario):
    scenario.patient().diagnosis("M33.09", "2010-03-01")
    results = scenario.evaluate()
    assert results["inc_diagnosis"][0] == "met", results["inc_diagnosis"][1]
    status, evidence = results["inc_disease_activity"]
    assert status == "met", evidence
    assert "DM" in evidence
