"""inc_renal: eGFR >= 30 mL/min/1.73m2, latest within 90 days."""

import pytest


@pytest.mark.parametrize(
    ("lab", "expected"),
    [
        pytest.param(("98979-8", "2026-11-01", 30, "mL/min/1.73m2"), "met", id="exactly-30"),
        pytest.param(("98979-8", "2026-11-01", 29.9, "mL/min/1.73m2"), "not_met", id="just-below"),
        pytest.param(("62238-1", "2026-11-01", 45, "mL/min/{1.73_m2}"), "met", id="ucum-annotation"),
        pytest.param(("33914-3", "2026-11-01", 31, "ml/min/1.73 m2"), "met", id="mdrd-code-spaced-unit"),
        pytest.param(("48643-1", "2026-11-01", 20, "mL/min/1.73m2"), "not_met", id="mdrd-blacks-code"),
        pytest.param(("98979-8", "2026-08-28", 60, "mL/min/1.73m2"), "met", id="exactly-90-days-old"),
        pytest.param(("98979-8", "2026-08-27", 60, "mL/min/1.73m2"), "unknown", id="91-days-old"),
        pytest.param(("98979-8", "2026-11-27", 60, "mL/min/1.73m2"), "unknown", id="after-as-of"),
        pytest.param(None, "unknown", id="missing"),
    ],
)
def test_inc_renal_egfr_edges(scenario, lab, expected):
    scenario.patient()
    if lab:
        scenario.lab(*lab)
    status, evidence = scenario.evaluate()["inc_renal"]
    assert status == expected, evidence


@pytest.mark.parametrize(
    ("value_text", "expected"),
    [
        pytest.param(">60", "met", id="above-60"),
        pytest.param("<15", "not_met", id="below-15"),
        pytest.param("<60", "unknown", id="below-60-open"),
    ],
)
def test_inc_renal_keeps_comparators(scenario, value_text, expected):
    scenario.patient().lab("98979-8", "2026-11-01", None, "mL/min/1.73m2", value_text=value_text)
    assert scenario.evaluate()["inc_renal"][0] == expected


def test_inc_renal_whatif_threshold_changes_status(scenario):
    scenario.patient().lab("98979-8", "2026-11-01", 20, "mL/min/1.73m2")
    assert scenario.evaluate()["inc_renal"][0] == "not_met"
    assert scenario.evaluate(overrides={"inc_renal.egfr_min": 15})["inc_renal"][0] == "met"
