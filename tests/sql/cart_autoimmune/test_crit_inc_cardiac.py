"""inc_cardiac: LVEF >= 55 %, latest within 180 days; the ECG is reviewed at screening."""

import pytest

LVEF = "10230-1"


@pytest.mark.parametrize(
    ("labs", "expected"),
    [
        pytest.param([(LVEF, "2026-11-01", 55, "%")], "met", id="exactly-55"),
        pytest.param([(LVEF, "2026-11-01", 54.9, "%")], "not_met", id="just-below-55"),
        pytest.param([(LVEF, "2026-11-01", 55.1, "%")], "met", id="just-above-55"),
        pytest.param([("18043-0", "2026-11-01", 60, "%")], "met", id="lvef-by-ultrasound-code"),
        pytest.param([("8806-2", "2026-11-01", 40, "%")], "not_met", id="lvef-by-2d-echo-code"),
        pytest.param([(LVEF, "2026-11-01", 60, "percent")], "met", id="unit-spelled-percent"),
        pytest.param([(LVEF, "2026-11-01", 60, None)], "unknown", id="no-unit-not-guessed"),
        pytest.param([(LVEF, "2026-11-01", 0.6, "L")], "unknown", id="unknown-unit"),
        pytest.param([(LVEF, "2026-05-30", 60, "%")], "met", id="exactly-180-days-old-counts"),
        pytest.param([(LVEF, "2026-05-29", 60, "%")], "unknown", id="181-days-old-too-old"),
        pytest.param([(LVEF, "2026-11-27", 60, "%")], "unknown", id="after-as-of-ignored"),
        pytest.param([], "unknown", id="missing"),
        pytest.param(
            [(LVEF, "2026-07-01", 40, "%"), ("8806-2", "2026-11-01", 60, "%")],
            "met",
            id="later-normal-overrides-earlier-abnormal",
        ),
        pytest.param(
            [(LVEF, "2026-07-01", 65, "%"), (LVEF, "2026-11-01", 50, "%")],
            "not_met",
            id="later-abnormal-overrides-earlier-normal",
        ),
    ],
)
def test_inc_cardiac_lvef_edges(scenario, labs, expected):
    scenario.patient()
    for lab in labs:
        scenario.lab(*lab)
    status, evidence = scenario.evaluate()["inc_cardiac"]
    assert status == expected, evidence
    assert evidence.endswith("; ECG to review at screening")


@pytest.mark.parametrize(
    ("value_text", "expected"),
    [
        pytest.param(">60", "met", id="above-60"),
        pytest.param("<50", "not_met", id="below-50"),
        pytest.param("<60", "unknown", id="below-60-leaves-it-open"),
    ],
)
def test_inc_cardiac_keeps_comparators(scenario, value_text, expected):
    scenario.patient().lab(LVEF, "2026-11-01", None, "%", value_text=value_text)
    assert scenario.evaluate()["inc_cardiac"][0] == expected


def test_inc_cardiac_evidence_names_lvef_and_the_manual_ecg(scenario):
    scenario.patient().lab(LVEF, "2026-11-01", 50, "%")
    assert scenario.evaluate()["inc_cardiac"] == (
        "not_met",
        "LVEF 50 % on 2026-11-01 < 55 %; ECG to review at screening",
    )


def test_inc_cardiac_threshold_and_window_are_parameters(scenario):
    scenario.patient().lab(LVEF, "2026-04-01", 52, "%")
    assert scenario.evaluate()["inc_cardiac"][0] == "unknown"
    overrides = {"inc_cardiac.lvef_min": 50, "inc_cardiac.window_days": 365}
    assert scenario.evaluate(overrides=overrides)["inc_cardiac"][0] == "met"
