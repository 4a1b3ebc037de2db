"""lupus_nephritis exc_kidney_failure: eGFR < 30 (latest within 60 days), chronic dialysis or
a kidney transplant. met = excluded."""

import pytest

TRIAL = "lupus_nephritis"
EGFR = "98979-8"
UNIT = "mL/min/1.73m2"


@pytest.mark.parametrize(
    ("egfr", "diagnosis", "expected"),
    [
        pytest.param(29.9, None, "met", id="egfr-29.9"),
        pytest.param(30, None, "not_met", id="egfr-exactly-30-is-not-failure"),
        pytest.param(None, None, "unknown", id="no-egfr-no-diagnosis"),
        pytest.param(60, "Z99.2", "met", id="dialysis-dependence-whatever-the-egfr"),
        pytest.param(None, "N18.6", "met", id="end-stage-renal-disease-without-egfr"),
        pytest.param(60, "z940", "met", id="kidney-transplant-status-written-z940"),
        pytest.param(60, "Z48.22", "met", id="aftercare-after-kidney-transplant"),
        pytest.param(60, "Z94.1", "not_met", id="heart-transplant-is-not-kidney"),
        pytest.param(60, "N18.4", "not_met", id="ckd-stage-4-code-alone-does-not-exclude"),
    ],
)
def test_ln_exc_kidney_failure_edges(scenario, egfr, diagnosis, expected):
    scenario.patient()
    if egfr is not None:
        scenario.lab(EGFR, "2026-11-01", egfr, UNIT)
    if diagnosis:
        scenario.diagnosis(diagnosis, "2020-05-01")
    status, evidence = scenario.evaluate(TRIAL)["exc_kidney_failure"]
    assert status == expected, evidence


@pytest.mark.parametrize(
    ("value_text", "day", "expected"),
    [
        pytest.param("<15", "2026-11-01", "met", id="below-15"),
        pytest.param("<60", "2026-11-01", "unknown", id="below-60-open"),
        pytest.param(">60", "2026-11-01", "not_met", id="above-60"),
        pytest.param("20", "2026-09-26", "unknown", id="61-days-old-not-read"),
        pytest.param("20", "2026-09-27", "met", id="exactly-60-days-old"),
    ],
)
def test_ln_exc_kidney_failure_reads_the_latest_egfr_in_the_window(scenario, value_text, day, expected):
    scenario.patient().lab(EGFR, day, None, UNIT, value_text=value_text)
    assert scenario.evaluate(TRIAL)["exc_kidney_failure"][0] == expected


def test_ln_exc_kidney_failure_evidence_names_the_diagnosis(scenario):
    scenario.patient().diagnosis("Z99.2", "2024-03-01").lab(EGFR, "2026-11-01", 12, UNIT)
    _, evidence = scenario.evaluate(TRIAL)["exc_kidney_failure"]
    assert evidence == (
        "ICD10CM Z99.2 on 2024-03-01 (dialysis); eGFR 12 mL/min/1.73m2 on 2026-11-01 < 30 mL/min/1.73m2"
    )
