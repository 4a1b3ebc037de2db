"""inc_refractory: >= 2 immunosuppressive agents each >= 90 days, or >= 15 mg/day
prednisone-equivalent now. As-of date 2026-11-26."""

import pytest

AZA, MMF, MMF_ATC, HCQ = "1256", "68149", "L04AA06", "5521"
PRED, PREDNISOLONE, MPRED, DEXA, HC = "8640", "8638", "6902", "3264", "5492"
RTX = "121191"


def _other_agent(scenario):
    """A second agent with a long past course, so the agent under test decides."""
    scenario.medication(MMF, "2025-01-01", end_date="2025-12-31")


def _aza(scenario, start, end=None, **kwargs):
    scenario.medication(AZA, start, end_date=end, **kwargs)


@pytest.mark.parametrize(
    ("orders", "expected"),
    [
        pytest.param([("2026-01-01", "2026-03-31")], "met", id="one-order-exactly-90-days-inclusive"),
        pytest.param([("2026-01-01", "2026-03-30")], "not_met", id="one-order-89-days"),
        pytest.param(
            [("2026-01-01", "2026-02-14"), ("2026-02-15", "2026-03-31")], "met", id="back-to-back-45-plus-45"
        ),
        pytest.param(
            [("2026-01-01", "2026-03-01"), ("2026-02-01", "2026-03-31")], "met", id="overlapping-orders-merge"
        ),
        pytest.param(
            [("2026-01-01", "2026-03-31"), ("2026-02-01", "2026-02-10")],
            "met",
            id="order-nested-inside-another",
        ),
        pytest.param(
            [("2026-01-01", "2026-02-10"), ("2026-02-18", "2026-03-31")], "met", id="gap-of-7-days-bridged"
        ),
        pytest.param(
            [("2026-01-01", "2026-02-10"), ("2026-02-19", "2026-03-31")], "not_met", id="gap-of-8-days-breaks"
        ),
        pytest.param(
            [("2026-01-01", "2026-01-31"), ("2026-03-01", "2026-03-31"), ("2026-05-01", "2026-05-31")],
            "not_met",
            id="three-short-courses-are-not-summed",
        ),
        pytest.param([("2026-08-29", None)], "met", id="open-order-runs-to-as-of-90-days"),
        pytest.param([("2026-08-30", None)], "not_met", id="open-order-89-days-to-as-of"),
        pytest.param([("2026-08-30", "2027-06-01")], "not_met", id="end-after-as-of-clipped-to-89-days"),
        pytest.param([("2026-08-29", "2027-06-01")], "met", id="end-after-as-of-clipped-to-90-days"),
        pytest.param([("2026-11-27", "2027-06-01")], "not_met", id="order-starting-after-as-of-ignored"),
        pytest.param([("2015-01-01", "2015-12-31")], "met", id="old-course-still-counts"),
        pytest.param([("2026-03-31", "2026-01-01")], "not_met", id="end-before-start-is-one-day"),
    ],
)
def test_inc_refractory_course_length_edges(scenario, orders, expected):
    scenario.patient()
    _other_agent(scenario)
    for start, end in orders:
        _aza(scenario, start, end)
    status, evidence = scenario.evaluate()["inc_refractory"]
    assert status == expected, evidence


@pytest.mark.parametrize(
    ("medications", "expected"),
    [
        pytest.param([], "not_met", id="no-medication"),
        pytest.param([(AZA, "RXNORM", None)], "not_met", id="one-agent-only"),
        pytest.param([(AZA, "RXNORM", None), (MMF, "RXNORM", None)], "met", id="two-agents-rxnorm"),
        pytest.param([("L04AX01", "ATC", None), (MMF_ATC, "ATC", None)], "met", id="two-agents-atc"),
        pytest.param(
            [("l04ax01", "atc", None), (MMF, "RxNorm", None)], "met", id="atc-lower-case-and-rxnorm"
        ),
        pytest.param(
            [(MMF, "RXNORM", None), (MMF_ATC, "ATC", None)], "not_met", id="same-agent-two-codes-counts-once"
        ),
        pytest.param(
            [(AZA, "RXNORM", None), ("999999", "RXNORM", "Leflunomide 20 MG Oral Tablet")],
            "met",
            id="agent-resolved-by-drug-name",
        ),
        pytest.param(
            [(AZA, "RXNORM", None), (HCQ, "RXNORM", None)], "not_met", id="hydroxychloroquine-not-counted"
        ),
        pytest.param(
            [(AZA, "RXNORM", None), (PRED, "RXNORM", None)], "not_met", id="glucocorticoid-not-an-agent"
        ),
    ],
)
def test_inc_refractory_counts_distinct_immunosuppressive_agents(scenario, medications, expected):
    scenario.patient()
    for code, system, name in medications:
        scenario.medication(
            code, "2025-01-01", end_date="2025-12-31", code_system=system, drug_name=name, dose_value=5
        )
    status, evidence = scenario.evaluate()["inc_refractory"]
    assert status == expected, evidence


def test_inc_refractory_single_administrations_count_one_day_each(scenario):
    scenario.patient()
    _other_agent(scenario)
    for day in ("2026-01-01", "2026-01-15", "2026-07-01", "2026-07-15"):
        scenario.medication(RTX, day, dose_value=1000, frequency="ONCE", route="iv")
    status, evidence = scenario.evaluate()["inc_refractory"]
    assert status == "not_met"
    assert "rituximab 1 day (2026-07-15 to 2026-07-15)" in evidence


@pytest.mark.parametrize(
    ("code", "dose", "frequency", "expected"),
    [
        pytest.param(PRED, 15, "QD", "met", id="prednisone-15-qd"),
        pytest.param(PRED, 14.9, "QD", "not_met", id="prednisone-14.9-qd"),
        pytest.param(PRED, 7.5, "BID", "met", id="prednisone-7.5-bid-is-15"),
        pytest.param(PRED, 5, "TID", "met", id="prednisone-5-tid-is-15"),
        pytest.param(PRED, 30, "QOD", "met", id="prednisone-30-every-other-day-is-15"),
        pytest.param(PREDNISOLONE, 15, "QD", "met", id="prednisolone-factor-1"),
        pytest.param(PREDNISOLONE, 14, "QD", "not_met", id="prednisolone-14"),
        pytest.param(MPRED, 12, "QD", "met", id="methylprednisolone-12-is-15"),
        pytest.param(MPRED, 4, "TID", "met", id="methylprednisolone-4-tid-is-15"),
        pytest.param(MPRED, 11, "QD", "not_met", id="methylprednisolone-11-is-13.75"),
        pytest.param(DEXA, 2.25, "QD", "met", id="dexamethasone-2.25-is-15.01"),
        pytest.param(DEXA, 2, "QD", "not_met", id="dexamethasone-2-is-13.34"),
        pytest.param(HC, 20, "TID", "met", id="hydrocortisone-20-tid-is-15"),
        pytest.param(HC, 20, "BID", "not_met", id="hydrocortisone-20-bid-is-10"),
        pytest.param(PRED, 60, "PRN", "not_met", id="prn-has-no-daily-dose"),
        pytest.param(MPRED, 500, "ONCE", "not_met", id="single-pulse-has-no-daily-dose"),
        pytest.param(PRED, None, "QD", "unknown", id="current-order-without-dose"),
        pytest.param(PRED, 20, "WEIRD", "unknown", id="current-order-unknown-frequency"),
        pytest.param(PRED, 2000, "QD", "met", id="dose-at-the-plausible-limit-counts"),
        pytest.param(PRED, 2000.5, "QD", "unknown", id="dose-above-the-plausible-limit-is-not-counted"),
        pytest.param(PRED, 5000, "QD", "unknown", id="implausible-dose-a-unit-error-is-not-counted"),
    ],
)
def test_inc_refractory_current_glucocorticoid_dose(scenario, code, dose, frequency, expected):
    scenario.patient().medication(code, "2026-10-01", dose_value=dose, frequency=frequency)
    status, evidence = scenario.evaluate()["inc_refractory"]
    assert status == expected, evidence


def test_inc_refractory_implausible_dose_is_named_and_other_orders_still_decide(scenario):
    scenario.patient().medication(PRED, "2026-10-01", dose_value=5000)
    status, evidence = scenario.evaluate()["inc_refractory"]
    assert status == "unknown"
    assert "prednisone 5000 mg QD = 5000 mg/day: implausible, not counted" in evidence
    scenario.medication(MPRED, "2026-11-01", dose_value=16)  # 20 mg/day prednisone-equivalent
    status, evidence = scenario.evaluate()["inc_refractory"]
    assert status == "met", evidence
    assert "20 mg/day prednisone-equivalent" in evidence


def test_inc_refractory_glucocorticoid_in_mg_per_kg_is_unknown(scenario):
    scenario.patient().medication(PRED, "2026-10-01", dose_value=1, dose_unit="mg/kg")
    assert scenario.evaluate()["inc_refractory"][0] == "unknown"


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param("2026-10-01", "2026-11-26", "met", id="order-ending-on-as-of-is-current"),
        pytest.param("2026-10-01", "2026-11-25", "not_met", id="order-ended-the-day-before"),
        pytest.param("2026-11-26", None, "met", id="order-starting-on-as-of-is-current"),
        pytest.param("2026-11-27", None, "not_met", id="order-starting-after-as-of"),
        pytest.param("2020-01-01", None, "met", id="old-open-order-is-current"),
    ],
)
def test_inc_refractory_current_means_active_on_the_as_of_date(scenario, start, end, expected):
    scenario.patient().medication(PRED, start, end_date=end, dose_value=20)
    assert scenario.evaluate()["inc_refractory"][0] == expected


def test_inc_refractory_sums_concurrent_glucocorticoid_orders(scenario):
    scenario.patient().medication(PRED, "2026-10-01", dose_value=10).medication(
        MPRED, "2026-11-01", dose_value=4
    )
    status, evidence = scenario.evaluate()["inc_refractory"]
    assert status == "met"
    assert "15 mg/day prednisone-equivalent" in evidence
    assert "methylprednisolone 4 mg QD = 5 mg/day + prednisone 10 mg QD = 10 mg/day" in evidence


def test_inc_refractory_evidence_names_agents_days_and_dates(scenario):
    scenario.patient()
    scenario.medication(AZA, "2026-01-01", end_date="2026-03-31").medication(MMF, "2026-06-01")
    status, evidence = scenario.evaluate()["inc_refractory"]
    assert status == "met"
    assert evidence.startswith(
        "2 of 2 immunosuppressive agents with a course >= 90 days: mycophenolate 179 days "
        "(2026-06-01 to 2026-11-26), azathioprine 90 days (2026-01-01 to 2026-03-31)"
    )


def test_inc_refractory_not_met_says_intolerance_is_not_in_the_extracts(scenario):
    scenario.patient()
    status, evidence = scenario.evaluate()["inc_refractory"]
    assert status == "not_met"
    assert "no immunosuppressive agent ordered on or before 2026-11-26" in evidence
    assert "intolerance or contraindication to standard treatment is not in the extracts" in evidence


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param({"inc_refractory.min_agents": 1}, "met", id="min-agents-1"),
        pytest.param({"inc_refractory.min_days": 60}, "met", id="min-days-60"),
        pytest.param({"inc_refractory.gap_days": 0}, "not_met", id="gap-days-0-breaks-a-1-day-gap"),
        pytest.param({"inc_refractory.pred_equiv_min_mg": 10}, "met", id="steroid-threshold-10"),
    ],
)
def test_inc_refractory_thresholds_are_parameters(scenario, overrides, expected):
    scenario.patient().medication(PRED, "2026-10-01", dose_value=10)
    scenario.medication(AZA, "2026-01-01", end_date="2026-02-14").medication(
        AZA, "2026-02-16", end_date="2026-03-31"
    )
    scenario.medication(MMF, "2026-01-01", end_date="2026-03-01")
    if "inc_refractory.gap_days" in overrides:
        scenario.medication(MMF, "2026-03-01", end_date="2026-12-31")
    assert scenario.evaluate(overrides=overrides)["inc_refractory"][0] == expected


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        pytest.param("oral", "met", id="oral"),
        pytest.param("PO", "met", id="po-upper-case"),
        pytest.param("iv", "met", id="intravenous"),
        pytest.param(None, "met", id="route-missing-kept"),
        pytest.param("topical", "not_met", id="topical-tacrolimus-is-not-systemic"),
    ],
)
def test_inc_refractory_counts_systemic_agents_only(scenario, route, expected):
    scenario.patient()
    _other_agent(scenario)
    scenario.medication("42316", "2025-01-01", end_date="2025-12-31", dose_value=1, route=route)
    status, evidence = scenario.evaluate()["inc_refractory"]
    assert status == expected, evidence


def test_inc_refractory_steroid_cream_is_neither_dose_nor_unknown(scenario):
    scenario.patient().medication(HC, "2026-10-01", dose_value=1, dose_unit="application", route="topical")
    status, evidence = scenario.evaluate()["inc_refractory"]
    assert status == "not_met"
    assert "no glucocorticoid order active on 2026-11-26" in evidence


def test_inc_refractory_betamethasone_resolved_by_name(scenario):
    scenario.patient().medication(
        "999998", "2026-10-01", dose_value=2.25, drug_name="Betamethasone 0.5 MG Oral Tablet"
    )
    status, evidence = scenario.evaluate()["inc_refractory"]
    assert status == "met", evidence
    assert "betamethasone 2.25 mg QD = 15.01 mg/day" in evidence


@pytest.mark.parametrize(
    "route",
    [
        pytest.param("SQ", id="sq"),
        pytest.param("subq", id="subq"),
        pytest.param("subcut", id="subcut"),
        pytest.param("s.c.", id="s.c."),
        pytest.param("i.v.", id="i.v."),
        pytest.param("p.o.", id="p.o."),
        pytest.param("by mouth", id="by-mouth"),
        pytest.param("i.m.", id="i.m."),
    ],
)
def test_inc_refractory_common_spellings_of_systemic_routes_count(scenario, route):
    # Weekly subcutaneous methotrexate ("SQ") for most of a year is systemic treatment:
    # with mycophenolate it makes two agents, not one.
    scenario.patient()
    _other_agent(scenario)
    scenario.medication(
        "6851", "2025-01-01", end_date="2025-12-31", dose_value=15, frequency="QW", route=route
    )
    status, evidence = scenario.evaluate()["inc_refractory"]
    assert status == "met", evidence


@pytest.mark.parametrize(
    ("drug_name", "dose", "unit", "expected", "shown"),
    [
        pytest.param("prednisone 5 MG Oral Tablet", 3, "tablet", "met", "15 mg/day", id="3-tablets-of-5-mg"),
        pytest.param(
            "prednisone 5 MG Oral Tablet", 2, "Tablets", "not_met", "10 mg/day", id="2-tablets-of-5-mg"
        ),
        pytest.param("predniSONE 7.5mg tab", 2, "tab", "met", "15 mg/day", id="decimal-strength-no-space"),
        pytest.param("prednisolone 5 MG Oral Capsule", 3, "capsule", "met", "15 mg/day", id="capsules"),
        pytest.param(
            "prednisolone 5 MG/ML Oral Solution",
            3,
            "tablet",
            "unknown",
            "no computable",
            id="concentration-no",
        ),
        pytest.param(
            "prednisone 1 MG / 5 MG Tablet", 3, "tablet", "unknown", "no computable", id="two-strengths"
        ),
        pytest.param("prednisone Oral Tablet", 3, "tablet", "unknown", "no computable", id="no-strength"),
        pytest.param(
            "prednisone 5 MG Oral Tablet", 3, None, "unknown", "no computable", id="no-unit-not-guessed"
        ),
    ],
)
def test_inc_refractory_reads_a_dose_in_tablets_from_the_strength_in_the_drug_name(
    scenario, drug_name, dose, unit, expected, shown
):
    scenario.patient().medication(
        "0", "2026-10-01", code_system="RXNORM", drug_name=drug_name, dose_value=dose, dose_unit=unit
    )
    status, evidence = scenario.evaluate()["inc_refractory"]
    assert status == expected, evidence
    assert shown in evidence, evidence
