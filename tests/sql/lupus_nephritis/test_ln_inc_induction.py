"""lupus_nephritis inc_induction: receiving mycophenolate or IV cyclophosphamide, the current
course started within the 60 days before the as-of date (2026-11-26)."""

from datetime import date, timedelta

import pytest

TRIAL = "lupus_nephritis"
AS_OF = date(2026, 11, 26)
MMF, CYC = "68149", "3002"


def day(offset: int) -> str:
    return (AS_OF + timedelta(days=offset)).isoformat()


def mmf(start: int, end: int | None = None, **kw) -> dict:
    return {"code": MMF, "start_date": day(start), "end_date": None if end is None else day(end),
            "dose_value": 1, "dose_unit": "g", "frequency": "BID", **kw}  # fmt: skip


def pulse(start: int, route: str | None = "iv") -> dict:
    return {"code": CYC, "start_date": day(start), "dose_value": 500, "frequency": "ONCE", "route": route}


@pytest.mark.parametrize(
    ("orders", "expected"),
    [
        pytest.param([mmf(-60)], "met", id="mmf-open-order-started-exactly-60-days-ago"),
        pytest.param([mmf(-61)], "not_met", id="mmf-started-61-days-ago"),
        pytest.param([mmf(0)], "met", id="mmf-started-on-the-as-of-date"),
        pytest.param([mmf(1)], "not_met", id="mmf-starting-after-as-of-ignored"),
        pytest.param(
            [{"code": "L04AA06", "code_system": "ATC", "start_date": day(-30), "dose_value": 720}],
            "met",
            id="mycophenolic-acid-by-atc-code",
        ),
        pytest.param(
            [{"code": "999999", "drug_name": "Mycophenolic acid 360 MG DR tablet", "start_date": day(-30)}],
            "met",
            id="mycophenolic-acid-by-drug-name",
        ),
        pytest.param([mmf(-300, -31), mmf(-30)], "not_met", id="renewal-back-to-back-keeps-the-old-start"),
        pytest.param([mmf(-300, -62), mmf(-30)], "not_met", id="gap-of-31-days-is-one-course"),
        pytest.param([mmf(-300, -63), mmf(-30)], "met", id="gap-of-32-days-restarts-the-course"),
        pytest.param([mmf(-50, -31)], "met", id="stopped-31-days-ago-still-current"),
        pytest.param([mmf(-50, -32)], "not_met", id="stopped-32-days-ago-not-receiving"),
        pytest.param([pulse(-14)], "met", id="iv-cyclophosphamide-pulse"),
        pytest.param([pulse(-14, "IV")], "met", id="route-upper-case"),
        pytest.param([pulse(-14, "i.v.")], "met", id="route-spelled-i.v."),
        pytest.param([pulse(-14, " Intravenous ")], "met", id="route-spelled-out-with-spaces"),
        pytest.param([pulse(-14, "IVPB")], "met", id="route-iv-piggyback"),
        pytest.param([pulse(-14, "oral")], "not_met", id="oral-cyclophosphamide-does-not-count"),
        pytest.param([pulse(-14, None)], "unknown", id="cyclophosphamide-without-route"),
        pytest.param([pulse(-80), pulse(-50), pulse(-20)], "not_met", id="monthly-pulses-since-80-days"),
        pytest.param([pulse(-50), pulse(-20)], "met", id="monthly-pulses-since-50-days"),
        pytest.param([pulse(-45)], "not_met", id="single-pulse-45-days-ago-no-longer-current"),
        pytest.param([], "not_met", id="no-medication"),
    ],
)
def test_ln_inc_induction_edges(scenario, orders, expected):
    scenario.patient()
    for order in orders:
        scenario.medication(**order)
    status, evidence = scenario.evaluate(TRIAL)["inc_induction"]
    assert status == expected, evidence


def test_ln_inc_induction_evidence_names_the_course_start(scenario):
    scenario.patient().medication(**mmf(-300, -31)).medication(**mmf(-30))
    _, evidence = scenario.evaluate(TRIAL)["inc_induction"]
    assert evidence == (
        "mycophenolate course started 2026-01-30 (through 2026-11-26): "
        "started more than 60 days before 2026-11-26"
    )


def test_ln_inc_induction_window_is_a_parameter(scenario):
    scenario.patient().medication(**mmf(-80))
    assert scenario.evaluate(TRIAL, overrides={"inc_induction.window_days": 90})["inc_induction"][0] == "met"
