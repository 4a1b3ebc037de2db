"""inc_ecog: ECOG performance status 0-1 (LOINC 89247-1), latest within 90 days."""

import pytest

ECOG, ECOG_INTERPRETATION = "89247-1", "89262-0"


@pytest.mark.parametrize(
    ("labs", "expected"),
    [
        pytest.param([(ECOG, "2026-11-01", 0, None)], "met", id="ecog-0"),
        pytest.param([(ECOG, "2026-11-01", 1, None)], "met", id="ecog-1-equal-to-max"),
        pytest.param([(ECOG, "2026-11-01", 2, None)], "not_met", id="ecog-2-above-max"),
        pytest.param([(ECOG, "2026-11-01", 4, None)], "not_met", id="ecog-4"),
        pytest.param([(ECOG, "2026-11-01", 1, "{score}")], "met", id="ucum-score-unit"),
        pytest.param([(ECOG, "2026-11-01", 1, "score")], "met", id="score-unit"),
        pytest.param([(ECOG, "2026-11-01", 1, "mg")], "unknown", id="nonsense-unit-not-read"),
        pytest.param(
            [(ECOG_INTERPRETATION, "2026-11-01", 1, None)],
            "unknown",
            id="interpretation-code-is-not-the-score",
        ),
        pytest.param(
            [(ECOG, "2026-10-01", 3, None), (ECOG_INTERPRETATION, "2026-11-20", 1, None)],
            "not_met",
            id="later-interpretation-code-does-not-override-the-score",
        ),
        pytest.param([(ECOG, "2026-08-28", 1, None)], "met", id="exactly-90-days-old-counts"),
        pytest.param([(ECOG, "2026-08-27", 1, None)], "unknown", id="91-days-old-too-old"),
        pytest.param([(ECOG, "2026-11-27", 1, None)], "unknown", id="after-as-of-ignored"),
        pytest.param([], "unknown", id="missing"),
        pytest.param(
            [(ECOG, "2026-09-01", 3, None), (ECOG, "2026-11-01", 1, None)],
            "met",
            id="later-normal-overrides-earlier-abnormal",
        ),
        pytest.param(
            [(ECOG, "2026-09-01", 0, None), (ECOG, "2026-11-01", 2, None)],
            "not_met",
            id="later-abnormal-overrides-earlier-normal",
        ),
        pytest.param([(ECOG, "2026-11-01", 7, None)], "unknown", id="not-an-ecog-score-7"),
        pytest.param([(ECOG, "2026-11-01", 80, None)], "unknown", id="karnofsky-80-under-ecog-code"),
        pytest.param([(ECOG, "2026-11-01", 1.5, None)], "unknown", id="not-a-whole-score"),
    ],
)
def test_inc_ecog_edges(scenario, labs, expected):
    scenario.patient()
    for lab in labs:
        scenario.lab(*lab)
    status, evidence = scenario.evaluate()["inc_ecog"]
    assert status == expected, evidence


@pytest.mark.parametrize(
    ("value_text", "expected"),
    [
        pytest.param("1", "met", id="number-as-text"),
        pytest.param(">2", "not_met", id="above-2-is-above-1"),
        pytest.param("<=1", "met", id="at-most-1"),
        pytest.param("<3", "unknown", id="below-3-leaves-it-open"),
    ],
)
def test_inc_ecog_keeps_comparators(scenario, value_text, expected):
    scenario.patient().lab(ECOG, "2026-11-01", None, None, value_text=value_text)
    assert scenario.evaluate()["inc_ecog"][0] == expected


def test_inc_ecog_evidence_names_the_deciding_score(scenario):
    scenario.patient().lab(ECOG, "2026-11-01", 2, None)
    assert scenario.evaluate()["inc_ecog"] == ("not_met", "ECOG 2 on 2026-11-01 > 1")


def test_inc_ecog_evidence_says_when_the_latest_score_is_too_old(scenario):
    scenario.patient().lab(ECOG, "2026-01-03", 1, None)
    _, evidence = scenario.evaluate()["inc_ecog"]
    assert evidence == "no ECOG result within 90 days before 2026-11-26 (latest 2026-01-03, too old)"


def test_inc_ecog_threshold_and_window_are_parameters(scenario):
    scenario.patient().lab(ECOG, "2026-07-01", 2, None)
    assert scenario.evaluate()["inc_ecog"][0] == "unknown"
    overrides = {"inc_ecog.ecog_max": 2, "inc_ecog.window_days": 180}
    assert scenario.evaluate(overrides=overrides)["inc_ecog"][0] == "met"
