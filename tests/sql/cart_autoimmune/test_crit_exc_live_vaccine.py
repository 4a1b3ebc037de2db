"""exc_live_vaccine: a live vaccine (CVX) in the last 28 days excludes. As-of 2026-11-26."""

import csv

import pytest

from pipelines.settings import SQL_DIR


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
        pytest.param("119", "2026-11-20", "met", id="rotavirus-monovalent-live"),
        pytest.param("02", "2026-11-20", "met", id="opv-live-oral"),
        pytest.param("143", "2026-11-20", "met", id="adenovirus-4-and-7-live-oral"),
        pytest.param("174", "2026-11-20", "met", id="cholera-live-attenuated"),
        pytest.param("75", "2026-11-20", "met", id="vaccinia-smallpox-live"),
        pytest.param("317", "2026-11-20", "met", id="chikungunya-live"),
        pytest.param("204", "2026-11-20", "met", id="ebola-zaire-live"),
        pytest.param("5", "2026-11-20", "met", id="measles-written-5"),
        pytest.param("188", "2026-11-20", "unknown", id="zoster-unspecified-may-be-live"),
        pytest.param("206", "2026-11-20", "unknown", id="mva-bn-named-live-but-non-replicating"),
        pytest.param("89", "2026-11-20", "unknown", id="polio-unspecified-opv-or-ipv"),
        pytest.param("10", "2026-11-20", "not_met", id="ipv-inactivated-not-live"),
        pytest.param("140", "2026-11-20", "not_met", id="influenza-injectable-not-live"),
        pytest.param("101", "2026-11-20", "not_met", id="typhoid-vi-polysaccharide-not-live"),
        pytest.param("172", "2026-11-20", "not_met", id="cholera-inactivated-not-live"),
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


def test_exc_live_vaccine_a_live_vaccine_outweighs_one_to_verify(scenario):
    scenario.patient()
    scenario.medication("188", "2026-11-20", code_system="CVX", dose_value=None, frequency="ONCE")
    scenario.medication("119", "2026-11-01", code_system="CVX", dose_value=None, frequency="ONCE")
    assert scenario.evaluate()["exc_live_vaccine"] == (
        "met",
        "live vaccine CVX 119 (rotavirus, live, monovalent vaccine) on 2026-11-01",
    )


def test_exc_live_vaccine_evidence_says_why_a_code_is_unknown(scenario):
    scenario.patient().medication("188", "2026-11-20", code_system="CVX", dose_value=None, frequency="ONCE")
    assert scenario.evaluate()["exc_live_vaccine"] == (
        "unknown",
        "vaccine CVX 188 (zoster, unspecified formulation) on 2026-11-20: live or not cannot be told "
        "from the code, verify the product",
    )


def test_exc_live_vaccine_valueset_keeps_every_cvx_whose_name_says_live():
    """Every row whose display says 'live' is category live or verify, never left out, and
    the inactivated look-alikes are absent."""
    path = SQL_DIR / "trials" / "cart_autoimmune" / "valuesets" / "live_vaccines.csv"
    with path.open(encoding="utf-8") as f:
        rows = {r["code"]: r for r in csv.DictReader(f)}
    assert {r["category"] for r in rows.values()} == {"live", "verify"}
    assert all(r["code_system"] == "CVX" and r["match"] == "exact" and r["source"] for r in rows.values())
    for not_live in ("187", "141", "140", "10", "41", "53", "101", "172", "173", "190", "329"):
        assert not_live not in rows, not_live
    assert rows["119"]["category"] == "live"
