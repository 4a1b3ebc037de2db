"""exc_live_vaccine: a live vaccine (CVX) in the last 28 days excludes. As-of 2026-11-26."""

import pytest


@pytest.mark.parametrize(
    ("code", "date", "expected"),
    [
        pytest.param("03", "2026-10-29", "met", id="mmr-exactly-28-days-ago"),
        pytest.param("03", "2026-10-28", "not_met", id="mmr-29-days-ago"),
        pytest.param("3", "2026-11-20", "met", id="mmr-written-3"),
        pytest.param("003", "2026-11-20", "met", id="mmr-written-003"),
        pytest.param("94", "2026-11-20", "met", id="mmrv"),
        pytest.param("21", "2026-11-20", "met", id="varicella"),
        pytest.param("37", "2026-11-20", "met", id="yellow-fever"),
        pytest.param("121", "2026-11-20", "met", id="zoster-live"),
        pytest.param("111", "2026-11-20", "met", id="laiv-111"),
        pytest.param("149", "2026-11-20", "met", id="laiv-149"),
        pytest.param("19", "2026-11-20", "met", id="bcg"),
        pytest.param("25", "2026-11-20", "met", id="typhoid-oral"),
        pytest.param("116", "2026-11-20", "met", id="rotavirus-pentavalent"),
        pytest.param("187", "2026-11-20", "not_met", id="zoster-recombinant-not-live"),
        pytest.param("141", "2026-11-20", "not_met", id="influenza-inactivated-not-live"),
        pytest.param("03", "2026-11-27", "not_met", id="after-as-of-ignored"),
        pytest.param(None, None, "not_met", id="no-vaccine"),
    ],
)
def test_exc_live_vaccine_edges(scenario, code, date, expected):
    scenario.patient()
    if code:
        scenario.medication(code, date, code_system="CVX", dose_value=None, frequency="ONCE", route="sc")
    status, evidence = scenario.evaluate()["exc_live_vaccine"]
    assert status == expected, evidence


def test_exc_live_vaccine_ignores_a_non_cvx_code_that_looks_like_one(scenario):
    scenario.patient().medication("21", "2026-11-20", code_system="RXNORM")
    assert scenario.evaluate()["exc_live_vaccine"][0] == "not_met"


def test_exc_live_vaccine_evidence_names_vaccine_and_date(scenario):
    scenario.patient().medication("121", "2026-11-01", code_system="cvx", dose_value=None, frequency="ONCE")
    status, evidence = scenario.evaluate()["exc_live_vaccine"]
    assert (status, evidence) == ("met", "live vaccine CVX 121 (zoster vaccine, live) on 2026-11-01")


def test_exc_live_vaccine_window_is_a_parameter(scenario):
    scenario.patient().medication("03", "2026-10-01", code_system="CVX", dose_value=None, frequency="ONCE")
    assert scenario.evaluate()["exc_live_vaccine"][0] == "not_met"
    assert scenario.evaluate(overrides={"exc_live_vaccine.window_days": 60})["exc_live_vaccine"][0] == "met"
