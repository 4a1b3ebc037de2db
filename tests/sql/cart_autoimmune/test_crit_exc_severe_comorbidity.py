"""exc_severe_comorbidity stays manual; its evidence flags severe diagnoses of the last
365 days for the reviewer. As-of date 2026-11-26."""

import pytest

BASE = "investigator judgement: severe heart, liver, lung, blood or endocrine disease"


@pytest.mark.parametrize(
    ("code", "date", "flagged"),
    [
        pytest.param("I50.84", "2026-06-01", True, id="end-stage-heart-failure"),
        pytest.param("k7460", "2026-06-01", True, id="cirrhosis-no-dot-lower-case"),
        pytest.param("K72.10", "2026-06-01", True, id="chronic-hepatic-failure"),
        pytest.param("J96.11", "2026-06-01", True, id="chronic-respiratory-failure"),
        pytest.param("D61.9", "2026-06-01", True, id="aplastic-anaemia"),
        pytest.param("I50.84", "2025-11-26", True, id="exactly-365-days-ago"),
        pytest.param("I50.84", "2025-11-25", False, id="366-days-ago"),
        pytest.param("I50.84", "2026-11-27", False, id="after-as-of-ignored"),
        pytest.param("I50.9", "2026-06-01", False, id="heart-failure-unspecified-not-flagged"),
    ],
)
def test_exc_severe_comorbidity_flags_records_but_stays_manual(scenario, code, date, flagged):
    scenario.patient().diagnosis(code, date)
    status, evidence = scenario.evaluate()["exc_severe_comorbidity"]
    assert status == "manual"
    assert ("records to review" in evidence) == flagged, evidence


def test_exc_severe_comorbidity_without_flags_says_only_judgement(scenario):
    scenario.patient()
    assert scenario.evaluate()["exc_severe_comorbidity"] == ("manual", BASE)


def test_exc_severe_comorbidity_lists_latest_record_per_code(scenario):
    scenario.patient().diagnosis("I50.84", "2026-01-01").diagnosis("I50.84", "2026-06-01")
    scenario.diagnosis("J96.10", "2026-03-01")
    _, evidence = scenario.evaluate()["exc_severe_comorbidity"]
    assert evidence == (
        BASE + "; records to review: heart: ICD10CM I50.84 End stage heart failure on 2026-06-01; "
        "lung: ICD10CM J96.10 Chronic respiratory failure, unspecified whether with hypoxia or "
        "hypercapnia on 2026-03-01"
    )
