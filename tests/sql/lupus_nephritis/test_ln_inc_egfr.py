"""lupus_nephritis inc_egfr: eGFR >= 30 mL/min/1.73m2, latest within 60 days."""

import pytest

TRIAL = "lupus_nephritis"
EGFR = "98979-8"


@pytest.mark.parametrize(
    ("lab", "expected"),
    [
        pytest.param((EGFR, "2026-11-01", 30, "mL/min/1.73m2"), "met", id="exactly-30"),
        pytest.param((EGFR, "2026-11-01", 29.9, "mL/min/1.73m2"), "not_met", id="29.9"),
        pytest.param(("33914-3", "2026-11-01", 0.5, "mL/s/1.73m2"), "met", id="si-unit-0.5-ml-per-s-is-30"),
        pytest.param((EGFR, "2026-09-27", 45, "mL/min/1.73m2"), "met", id="exactly-60-days-old"),
        pytest.param((EGFR, "2026-09-26", 45, "mL/min/1.73m2"), "unknown", id="61-days-old-too-old"),
        pytest.param(None, "unknown", id="no-egfr"),
    ],
)
def test_ln_inc_egfr_edges(scenario, lab, expected):
    scenario.patient()
    if lab:
        scenario.lab(*lab)
    status, evidence = scenario.evaluate(TRIAL)["inc_egfr"]
    assert status == expected, evidence


@pytest.mark.parametrize(
    ("value_text", "expected"),
    [pytest.param(">60", "met", id="above-60"), pytest.param("<60", "unknown", id="below-60-open")],
)
def test_ln_inc_egfr_keeps_comparators(scenario, value_text, expected):
    scenario.patient().lab(EGFR, "2026-11-01", None, "mL/min/1.73m2", value_text=value_text)
    assert scenario.evaluate(TRIAL)["inc_egfr"][0] == expected


@pytest.mark.parametrize(
    ("later", "evidence"),
    [
        pytest.param(
            (25, "mL/min/furlong"),
            "latest eGFR 25 'mL/min/furlong' on 2026-11-10: unit not understood",
            id="unknown-unit",
        ),
        pytest.param((25, None), "latest eGFR 25 (no unit) on 2026-11-10: unit missing", id="no-unit"),
        pytest.param(
            (-40, "mL/min/1.73m2"),
            "latest eGFR -40 mL/min/1.73m2 on 2026-11-10 is implausible",
            id="implausible",
        ),
    ],
)
def test_ln_inc_egfr_unreadable_latest_result_leaves_it_unknown(scenario, later, evidence):
    """An eGFR of 80 in October does not decide when the latest one cannot be read."""
    scenario.patient().lab(EGFR, "2026-10-01", 80, "mL/min/1.73m2").lab(EGFR, "2026-11-10", *later)
    status, text = scenario.evaluate(TRIAL)["inc_egfr"]
    assert status == "unknown", text
    assert evidence in text
