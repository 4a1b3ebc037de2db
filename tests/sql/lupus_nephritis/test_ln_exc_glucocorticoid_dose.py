"""lupus_nephritis exc_glucocorticoid_dose: above 0.5 mg/kg/day prednisone-equivalent at screening,
body weight the latest within 90 days. met = excluded."""

import pytest

TRIAL = "lupus_nephritis"
WEIGHT = "29463-7"
PRED, MPRED = "8640", "6902"


def gc(code: str = PRED, dose: float | None = 35, unit: str = "mg", freq: str = "QD", **kw) -> dict:
    return {
        "code": code,
        "start_date": "2026-10-01",
        "dose_value": dose,
        "dose_unit": unit,
        "frequency": freq,
        **kw,
    }


@pytest.mark.parametrize(
    ("orders", "weight", "expected"),
    [
        pytest.param([gc(dose=35)], (70, "kg"), "not_met", id="35-mg-for-70-kg-is-exactly-0.5"),
        pytest.param([gc(dose=36)], (70, "kg"), "met", id="36-mg-for-70-kg-is-above"),
        pytest.param([gc(dose=17.5, freq="BID")], (70, "kg"), "not_met", id="17.5-mg-bid-is-35-mg-per-day"),
        pytest.param(
            [gc(MPRED, dose=28)], (70, "kg"), "not_met", id="methylprednisolone-28-mg-is-35-mg-pred"
        ),
        pytest.param([gc(MPRED, dose=29)], (70, "kg"), "met", id="methylprednisolone-29-mg-is-36.25-mg-pred"),
        pytest.param([gc(dose=36)], (154.32, "lb"), "met", id="weight-in-pounds-converted"),
        pytest.param([gc(dose=35)], (70000, "g"), "not_met", id="weight-in-grams-converted"),
        pytest.param([gc(dose=10)], None, "unknown", id="no-weight-for-a-mg-dose"),
        pytest.param([gc(dose=1, unit="mg/kg")], None, "met", id="1-mg-per-kg-order-needs-no-weight"),
        pytest.param([gc(dose=0.5, unit="mg/kg")], None, "not_met", id="0.5-mg-per-kg-order-needs-no-weight"),
        pytest.param(
            [gc(dose=0.4, unit="mg/kg"), gc(dose=10)], None, "unknown", id="mixed-orders-without-weight"
        ),
        pytest.param([gc(dose=0.4, unit="mg/kg"), gc(dose=10)], (70, "kg"), "met", id="mixed-orders-sum"),
        pytest.param([gc(dose=40, freq="PRN")], (70, "kg"), "not_met", id="prn-is-not-a-daily-dose"),
        pytest.param([gc(dose=500, freq="ONCE")], (70, "kg"), "not_met", id="a-pulse-is-not-a-daily-dose"),
        pytest.param([gc(dose=40, end_date="2026-11-25")], (70, "kg"), "not_met", id="ended-the-day-before"),
        pytest.param([gc(dose=40, end_date="2026-11-26")], (70, "kg"), "met", id="ends-on-the-as-of-date"),
        pytest.param([gc(dose=20, freq="Q3H")], (70, "kg"), "unknown", id="unknown-frequency-no-daily-dose"),
        pytest.param([gc(dose=40), gc(dose=5, freq="Q3H")], (70, "kg"), "met", id="known-part-already-above"),
        pytest.param([], None, "not_met", id="no-glucocorticoid"),
        pytest.param(
            [gc("5492", dose=100, freq="BID", route="topical")],
            (70, "kg"),
            "not_met",
            id="topical-is-not-systemic",
        ),
        pytest.param([gc(dose=40, route="inhalation")], (70, "kg"), "not_met", id="inhaled-is-not-systemic"),
        pytest.param([gc(dose=40, route="p.o.")], (70, "kg"), "met", id="oral-spelled-p.o."),
        pytest.param([gc(MPRED, dose=40, route="IV")], (70, "kg"), "met", id="intravenous-daily"),
        pytest.param([gc(dose=40, route=None)], (70, "kg"), "met", id="route-missing-counts"),
        pytest.param([gc(dose=5000)], (70, "kg"), "unknown", id="implausible-dose-is-not-counted"),
        pytest.param(
            [gc(dose=5000), gc(dose=40)], (70, "kg"), "met", id="implausible-dose-beside-a-dose-already-above"
        ),
        pytest.param(
            [gc(dose=5000), gc(dose=10)], (70, "kg"), "unknown", id="implausible-dose-beside-a-low-dose"
        ),
    ],
)
def test_ln_exc_glucocorticoid_dose_edges(scenario, orders, weight, expected):
    scenario.patient()
    for order in orders:
        scenario.medication(**order)
    if weight:
        scenario.lab(WEIGHT, "2026-11-01", weight[0], weight[1])
    status, evidence = scenario.evaluate(TRIAL)["exc_glucocorticoid_dose"]
    assert status == expected, evidence


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        pytest.param("2026-08-28", "met", id="weight-exactly-90-days-old"),
        pytest.param("2026-08-27", "unknown", id="91"),
    ],
)
def test_ln_exc_glucocorticoid_dose_weight_window(scenario, day, expected):
    scenario.patient().medication(**gc(dose=40)).lab(WEIGHT, day, 70, "kg")
    assert scenario.evaluate(TRIAL)["exc_glucocorticoid_dose"][0] == expected


def test_ln_exc_glucocorticoid_dose_evidence_shows_the_arithmetic(scenario):
    scenario.patient().medication(**gc(dose=40)).lab("3141-9", "2026-11-01", 60, "kg")
    _, evidence = scenario.evaluate(TRIAL)["exc_glucocorticoid_dose"]
    assert evidence == (
        "current glucocorticoid on 2026-11-26: prednisone 40 mg QD = 40 mg/day; weight 60 kg on 2026-11-01; "
        "0.67 mg/kg/day prednisone-equivalent > 0.5"
    )


def test_ln_exc_glucocorticoid_dose_limit_is_a_parameter(scenario):
    scenario.patient().medication(**gc(dose=40)).lab(WEIGHT, "2026-11-01", 64, "kg")
    overrides = {"exc_glucocorticoid_dose.max_mg_per_kg": 1.0}
    assert scenario.evaluate(TRIAL, overrides=overrides)["exc_glucocorticoid_dose"][0] == "not_met"
