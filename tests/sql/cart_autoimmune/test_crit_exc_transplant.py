"""exc_transplant: HSCT or solid organ transplant at any time excludes; acute GVHD in the
last 14 days is unknown (grade not coded). As-of date 2026-11-26."""

import pytest


@pytest.mark.parametrize(
    ("code", "date", "expected"),
    [
        pytest.param("Z94.0", "2010-01-01", "met", id="kidney-long-ago"),
        pytest.param("Z94.81", "2020-01-01", "met", id="bone-marrow"),
        pytest.param("Z94.84", "2020-01-01", "met", id="stem-cells"),
        pytest.param("z9484", "2020-01-01", "met", id="stem-cells-no-dot-lower-case"),
        pytest.param("Z94.1", "2020-01-01", "met", id="heart"),
        pytest.param("Z94.2", "2020-01-01", "met", id="lung"),
        pytest.param("Z94.3", "2020-01-01", "met", id="heart-and-lungs"),
        pytest.param("Z94.4", "2020-01-01", "met", id="liver"),
        pytest.param("Z94.82", "2020-01-01", "met", id="intestine"),
        pytest.param("Z94.83", "2020-01-01", "met", id="pancreas"),
        pytest.param("Z48.22", "2020-01-01", "met", id="aftercare-after-kidney-transplant"),
        pytest.param("Z48.290", "2020-01-01", "met", id="aftercare-after-bone-marrow-transplant"),
        pytest.param("Z94.7", "2020-01-01", "not_met", id="corneal-does-not-count"),
        pytest.param("Z94.5", "2020-01-01", "not_met", id="skin-does-not-count"),
        pytest.param("Z94.6", "2020-01-01", "not_met", id="bone-does-not-count"),
        pytest.param("Z94.9", "2020-01-01", "unknown", id="organ-not-coded-verify"),
        pytest.param("Z94.89", "2020-01-01", "unknown", id="other-organ-or-tissue-verify"),
        pytest.param("Z94.0", "2026-11-27", "not_met", id="recorded-after-as-of-ignored"),
        pytest.param(None, None, "not_met", id="no-record"),
    ],
)
def test_exc_transplant_status_codes(scenario, code, date, expected):
    scenario.patient()
    if code:
        scenario.diagnosis(code, date)
    status, evidence = scenario.evaluate()["exc_transplant"]
    assert status == expected, evidence


@pytest.mark.parametrize(
    ("code", "date", "expected"),
    [
        pytest.param("D89.810", "2026-11-12", "unknown", id="acute-gvhd-exactly-14-days-ago"),
        pytest.param("D89.810", "2026-11-11", "not_met", id="acute-gvhd-15-days-ago"),
        pytest.param("D89.812", "2026-11-20", "unknown", id="acute-on-chronic-gvhd"),
        pytest.param("D89.813", "2026-11-20", "unknown", id="gvhd-unspecified-may-be-acute"),
        pytest.param("D89.811", "2026-11-20", "not_met", id="chronic-gvhd-not-acute"),
        pytest.param("D89.810", "2026-11-27", "not_met", id="gvhd-after-as-of-ignored"),
    ],
)
def test_exc_transplant_recent_acute_gvhd_is_unknown(scenario, code, date, expected):
    scenario.patient().diagnosis(code, date)
    status, evidence = scenario.evaluate()["exc_transplant"]
    assert status == expected, evidence
    if expected == "unknown":
        assert "GVHD grade not coded, verify grade >= 2" in evidence


def test_exc_transplant_transplant_outranks_gvhd_and_corneal(scenario):
    scenario.patient().diagnosis("Z94.7", "2024-01-01").diagnosis("D89.810", "2026-11-20")
    scenario.diagnosis("Z94.84", "2025-03-01")
    status, evidence = scenario.evaluate()["exc_transplant"]
    assert status == "met"
    assert evidence == "transplant recorded: ICD10CM Z94.84 (hsct) on 2025-03-01"


def test_exc_transplant_gvhd_window_is_a_parameter(scenario):
    scenario.patient().diagnosis("D89.810", "2026-10-01")
    assert scenario.evaluate()["exc_transplant"][0] == "not_met"
    assert scenario.evaluate(overrides={"exc_transplant.window_days": 60})["exc_transplant"][0] == "unknown"
