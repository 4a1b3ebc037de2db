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


@pytest.mark.parametrize(
    "code",
    [
        pytest.param(code, id=code)
        for code in (
            "98979-8",
            "62238-1",
            "88293-6",
            "88294-4",
            "48642-3",
            "48643-1",
            "50044-7",
            "70969-1",
            "33914-3",
            "69405-9",
            "77147-7",
        )
    ],
)
def test_inc_renal_reads_every_egfr_code(scenario, code):
    scenario.patient().lab(code, "2026-11-01", 29, "mL/min/1.73m2")
    assert scenario.evaluate()["inc_renal"][0] == "not_met"


@pytest.mark.parametrize(
    ("unit", "value", "expected"),
    [
        pytest.param("mL/min/1.73m²", 30, "met", id="superscript-2"),
        pytest.param("mL/min/1,73 m2", 29, "not_met", id="decimal-comma"),
        pytest.param("mL/min/1.73m2 BSA", 30, "met", id="bsa-suffix"),
        pytest.param("mL/s/1.73m2", 0.5, "met", id="si-ml-per-s-0.5-is-30"),
        pytest.param("mL/s/1.73m2", 0.49, "not_met", id="si-ml-per-s-0.49-is-29.4"),
        pytest.param("mL/min", 30, "met", id="without-annotation"),
        pytest.param("mL/min per 1.73 m2", 30, "met", id="loinc-display-per-1.73-m2"),
        pytest.param("mL/min/{1.73m2}", 29, "not_met", id="ucum-annotation-without-underscore"),
        pytest.param("mL/s/{1.73_m2}", 0.5, "met", id="si-ucum-annotation-0.5-is-30"),
        pytest.param(None, 30, "unknown", id="without-unit-not-guessed"),
    ],
)
def test_inc_renal_every_unit(scenario, unit, value, expected):
    scenario.patient().lab("98979-8", "2026-11-01", value, unit)
    status, evidence = scenario.evaluate()["inc_renal"]
    assert status == expected, evidence
