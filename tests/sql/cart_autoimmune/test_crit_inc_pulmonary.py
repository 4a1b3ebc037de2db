"""inc_pulmonary: DLCO >= 40 % and FVC >= 50 % of predicted, each latest within 180 days.

Absolute DLCO (19911-7) and FVC volumes (19870-5, 19876-2, 19874-7) are not per cent of
predicted and never satisfy it, whatever unit they carry.
"""

import pytest

DLCO_PCT, DLCO_ABS = "98130-8", "19911-7"
FVC_PCT, FVC_PRE_PCT, FVC_POST_PCT = "19872-1", "19871-3", "19873-9"
FVC_L, FVC_PRE_L, FVC_POST_L = "19870-5", "19876-2", "19874-7"
DAY = "2026-11-01"
OK_DLCO = (DLCO_PCT, DAY, 70, "%")
OK_FVC = (FVC_PCT, DAY, 80, "%")


@pytest.mark.parametrize(
    ("labs", "expected"),
    [
        pytest.param([(DLCO_PCT, DAY, 40, "%")], "met", id="dlco-exactly-40"),
        pytest.param([(DLCO_PCT, DAY, 39.9, "%")], "not_met", id="dlco-just-below-40"),
        pytest.param([(DLCO_PCT, DAY, 40.1, "%")], "met", id="dlco-just-above-40"),
        pytest.param([(DLCO_PCT, DAY, 55, "% predicted")], "met", id="dlco-unit-percent-predicted"),
        pytest.param([(DLCO_PCT, DAY, 55, None)], "unknown", id="dlco-without-unit-not-guessed"),
        pytest.param(
            [(DLCO_ABS, DAY, 80, "%")], "unknown", id="absolute-dlco-with-percent-unit-is-not-percent"
        ),
        pytest.param([(DLCO_ABS, DAY, 25, "mL/min/mmHg")], "unknown", id="absolute-dlco-is-ignored"),
        pytest.param(
            [(DLCO_PCT, "2026-09-01", 35, "%"), (DLCO_ABS, DAY, 80, "%")],
            "not_met",
            id="later-absolute-dlco-does-not-override-percent",
        ),
        pytest.param([(DLCO_PCT, "2026-05-30", 60, "%")], "met", id="dlco-exactly-180-days-old"),
        pytest.param([(DLCO_PCT, "2026-05-29", 60, "%")], "unknown", id="dlco-181-days-old"),
        pytest.param([(DLCO_PCT, "2026-11-27", 60, "%")], "unknown", id="dlco-after-as-of-ignored"),
        pytest.param([], "unknown", id="dlco-missing"),
        pytest.param(
            [(DLCO_PCT, "2026-09-01", 30, "%"), (DLCO_PCT, DAY, 45, "%")],
            "met",
            id="dlco-later-normal-overrides-earlier-low",
        ),
        pytest.param(
            [(DLCO_PCT, "2026-09-01", 60, "%"), (DLCO_PCT, DAY, 38, "%")],
            "not_met",
            id="dlco-later-low-overrides-earlier-normal",
        ),
    ],
)
def test_inc_pulmonary_dlco_edges(scenario, labs, expected):
    scenario.patient().lab(*OK_FVC)
    for lab in labs:
        scenario.lab(*lab)
    status, evidence = scenario.evaluate()["inc_pulmonary"]
    assert status == expected, evidence


@pytest.mark.parametrize(
    ("labs", "expected"),
    [
        pytest.param([(FVC_PCT, DAY, 50, "%")], "met", id="fvc-exactly-50"),
        pytest.param([(FVC_PCT, DAY, 49.9, "%")], "not_met", id="fvc-just-below-50"),
        pytest.param([(FVC_PRE_PCT, DAY, 50, "%")], "met", id="fvc-pre-bronchodilator-percent-code"),
        pytest.param([(FVC_POST_PCT, DAY, 49, "%")], "not_met", id="fvc-post-bronchodilator-percent-code"),
        pytest.param([(FVC_PCT, DAY, 62, "percent")], "met", id="fvc-unit-spelled-percent"),
        pytest.param([(FVC_L, DAY, 3.2, "L")], "unknown", id="fvc-volume-in-litres-is-ignored"),
        pytest.param(
            [(FVC_L, DAY, 90, "%")], "unknown", id="fvc-volume-code-with-percent-unit-is-not-percent"
        ),
        pytest.param([(FVC_PRE_L, DAY, 90, "%")], "unknown", id="fvc-pre-bd-volume-code-with-percent-unit"),
        pytest.param([(FVC_POST_L, DAY, 3100, "mL")], "unknown", id="fvc-post-bd-volume-in-millilitres"),
        pytest.param(
            [(FVC_PCT, "2026-09-01", 45, "%"), (FVC_L, DAY, 95, "%")],
            "not_met",
            id="later-volume-does-not-override-percent",
        ),
        pytest.param([(FVC_PCT, "2026-05-30", 70, "%")], "met", id="fvc-exactly-180-days-old"),
        pytest.param([(FVC_PCT, "2026-05-29", 70, "%")], "unknown", id="fvc-181-days-old"),
        pytest.param([(FVC_PCT, "2026-11-27", 70, "%")], "unknown", id="fvc-after-as-of-ignored"),
        pytest.param([], "unknown", id="fvc-missing"),
        pytest.param(
            [(FVC_PCT, "2026-09-01", 40, "%"), (FVC_POST_PCT, DAY, 55, "%")],
            "met",
            id="fvc-later-normal-overrides-earlier-low",
        ),
        pytest.param(
            [(FVC_PCT, "2026-09-01", 80, "%"), (FVC_PRE_PCT, DAY, 45, "%")],
            "not_met",
            id="fvc-later-low-overrides-earlier-normal",
        ),
    ],
)
def test_inc_pulmonary_fvc_edges(scenario, labs, expected):
    scenario.patient().lab(*OK_DLCO)
    for lab in labs:
        scenario.lab(*lab)
    status, evidence = scenario.evaluate()["inc_pulmonary"]
    assert status == expected, evidence


@pytest.mark.parametrize(
    ("value_text", "expected"),
    [
        pytest.param(">60", "met", id="above-60"),
        pytest.param("<30", "not_met", id="below-30"),
        pytest.param("<45", "unknown", id="below-45-leaves-it-open"),
    ],
)
def test_inc_pulmonary_keeps_comparators(scenario, value_text, expected):
    scenario.patient().lab(*OK_FVC).lab(DLCO_PCT, DAY, None, "%", value_text=value_text)
    assert scenario.evaluate()["inc_pulmonary"][0] == expected


def test_inc_pulmonary_one_part_below_decides_even_when_the_other_is_missing(scenario):
    scenario.patient().lab(FVC_PCT, DAY, 40, "%")
    assert scenario.evaluate()["inc_pulmonary"][0] == "not_met"


def test_inc_pulmonary_evidence_names_both_results(scenario):
    scenario.patient().lab(DLCO_PCT, DAY, 38, "%").lab(*OK_FVC)
    assert scenario.evaluate()["inc_pulmonary"] == (
        "not_met",
        "DLCO 38 % predicted on 2026-11-01 < 40 %; FVC 80 % predicted on 2026-11-01 >= 50 %",
    )


def test_inc_pulmonary_thresholds_and_window_are_parameters(scenario):
    scenario.patient().lab(DLCO_PCT, "2026-03-01", 35, "%").lab(FVC_PCT, "2026-03-01", 45, "%")
    assert scenario.evaluate()["inc_pulmonary"][0] == "unknown"
    overrides = {
        "inc_pulmonary.dlco_min": 35,
        "inc_pulmonary.fvc_min": 45,
        "inc_pulmonary.window_days": 365,
    }
    assert scenario.evaluate(overrides=overrides)["inc_pulmonary"][0] == "met"
