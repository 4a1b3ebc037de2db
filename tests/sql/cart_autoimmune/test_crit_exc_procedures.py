"""exc_transplant and exc_prior_cart read procedures (extract contract v2) as well as
diagnoses: a transplant or a CAR-T infusion coded as a procedure excludes, and a drop
without procedures decides exactly as from diagnoses alone. As-of date 2026-11-26."""

import pytest


@pytest.mark.parametrize(
    ("code_system", "code", "date", "expected", "evidence"),
    [
        pytest.param("ICD10PCS", "0TY00Z0", "2015-06-01", "met",
                     "transplant recorded: ICD10PCS 0TY00Z0 (solid_organ) on 2015-06-01", id="pcs-kidney"),
        pytest.param("CPT4", "50360", "2015-06-01", "met",
                     "transplant recorded: CPT4 50360 (solid_organ) on 2015-06-01", id="cpt-kidney"),
        pytest.param("CPT", "38241", "2019-02-01", "met",
                     "transplant recorded: CPT4 38241 (hsct) on 2019-02-01", id="cpt-spelled-cpt-autologous"),
        pytest.param("SNOMEDCT", "58390007", "2019-02-01", "met",
                     "transplant recorded: SNOMEDCT 58390007 (hsct) on 2019-02-01", id="snomed-bmt"),
        pytest.param("HCPCS", "S2065", "2019-02-01", "met",
                     "transplant recorded: HCPCS S2065 (solid_organ) on 2019-02-01", id="hcpcs-spk"),
        pytest.param("ICD10PCS", "0tY10z0", "2019-02-01", "met",
                     "transplant recorded: ICD10PCS 0tY10z0 (solid_organ) on 2019-02-01", id="pcs-any-case"),
        pytest.param("CPT4", "50360", "2026-11-27", "not_met", None, id="after-as-of-ignored"),
        pytest.param("CPT4", "50200", "2020-01-01", "not_met", None, id="kidney-biopsy-is-no-transplant"),
    ],
)  # fmt: skip
def test_exc_transplant_reads_transplant_procedures(scenario, code_system, code, date, expected, evidence):
    scenario.patient().procedure(code, date, code_system=code_system)
    status, text = scenario.evaluate()["exc_transplant"]
    assert status == expected, text
    if evidence:
        assert text == evidence


def test_exc_transplant_latest_of_diagnosis_and_procedure_is_the_evidence(scenario):
    scenario.patient().diagnosis("Z94.0", "2012-01-01").procedure(
        "0TY00Z0", "2011-12-20", code_system="ICD10PCS"
    )
    assert scenario.evaluate()["exc_transplant"] == (
        "met",
        "transplant recorded: ICD10CM Z94.0 (solid_organ) on 2012-01-01",
    )


@pytest.mark.parametrize(
    ("code_system", "code", "date", "expected"),
    [
        pytest.param("ICD10PCS", "XW033C3", "2024-05-01", "met", id="pcs-autologous-cart-peripheral"),
        pytest.param("ICD10PCS", "XW043C7", "2024-05-01", "met", id="pcs-autologous-cart-central"),
        pytest.param("HCPCS", "Q2041", "2024-05-01", "met", id="hcpcs-axicabtagene"),
        pytest.param("HCPCS", "Q2041", "2026-11-27", "not_met", id="after-as-of-ignored"),
        pytest.param("CPT4", "38241", "2024-05-01", "not_met", id="autologous-hsct-is-no-cart"),
    ],
)
def test_exc_prior_cart_reads_cart_infusion_procedures(scenario, code_system, code, date, expected):
    scenario.patient().procedure(code, date, code_system=code_system)
    status, evidence = scenario.evaluate()["exc_prior_cart"]
    assert status == expected, evidence
    if expected == "met":
        assert evidence == f"prior CAR-T therapy recorded: {code_system} {code} on {date}"


def test_without_procedures_the_evidence_is_that_of_diagnoses_alone(scenario):
    scenario.patient().diagnosis("Z92.850", "2023-01-01").diagnosis("Z94.84", "2022-01-01")
    results = scenario.evaluate()
    assert results["exc_prior_cart"] == ("met", "prior CAR-T therapy recorded: ICD10CM Z92.850 on 2023-01-01")
    assert results["exc_transplant"] == ("met", "transplant recorded: ICD10CM Z94.84 (hsct) on 2022-01-01")
