"""exc_active_infection: a serious infection diagnosis in the last 14 days excludes.
As-of date 2026-11-26."""

import pytest


@pytest.mark.parametrize(
    ("code", "date", "code_system", "expected"),
    [
        pytest.param("A41.9", "2026-11-12", "ICD10CM", "met", id="sepsis-exactly-14-days-ago"),
        pytest.param("A41.9", "2026-11-11", "ICD10CM", "not_met", id="sepsis-15-days-ago"),
        pytest.param("A41.9", "2026-11-26", "ICD10CM", "met", id="sepsis-on-as-of"),
        pytest.param("A41.9", "2026-11-27", "ICD10CM", "not_met", id="sepsis-after-as-of-ignored"),
        pytest.param("a419", "2026-11-20", "ICD10CM", "met", id="no-dot-lower-case"),
        pytest.param("A41.9", "2026-11-20", "ICD-10-CM", "met", id="code-system-with-dashes"),
        pytest.param("A41.51", "2026-11-20", "ICD10CM", "met", id="e-coli-sepsis-subcode"),
        pytest.param("A40.0", "2026-11-20", "ICD10CM", "met", id="streptococcal-sepsis"),
        pytest.param(
            "A49.9", "2026-11-20", "ICD10CM", "not_met", id="bacterial-infection-unspecified-not-serious"
        ),
        pytest.param("A419", "2026-11-20", "ICD9CM", "not_met", id="other-code-system-not-matched"),
        pytest.param(None, None, None, "not_met", id="no-record"),
    ],
)
def test_exc_active_infection_edges(scenario, code, date, code_system, expected):
    scenario.patient()
    if code:
        scenario.diagnosis(code, date, code_system=code_system)
    status, evidence = scenario.evaluate()["exc_active_infection"]
    assert status == expected, evidence


def test_exc_active_infection_evidence_asks_the_reviewer_about_systemic_treatment(scenario):
    scenario.patient().diagnosis("A41.01", "2026-11-01").diagnosis("A41.9", "2026-11-20")
    status, evidence = scenario.evaluate()["exc_active_infection"]
    assert status == "met"
    assert evidence == (
        "serious infection ICD10CM A41.9 (sepsis) on 2026-11-20; "
        "systemic treatment is not in the extracts: reviewer confirms"
    )


def test_exc_active_infection_window_is_a_parameter(scenario):
    scenario.patient().diagnosis("A41.9", "2026-11-01")
    assert scenario.evaluate()["exc_active_infection"][0] == "not_met"
    overrides = {"exc_active_infection.window_days": 30}
    assert scenario.evaluate(overrides=overrides)["exc_active_infection"][0] == "met"
