"""lupus_nephritis inc_serology: anti-dsDNA above the lab's ULN, or C3 or C4 below the lab's
lower limit, each the most recent test within 90 days; OR in three values."""

import pytest

TRIAL = "lupus_nephritis"
DSDNA, C3, C4 = "5130-0", "4485-9", "4498-2"
D = "2026-11-01"
DSDNA_NORMAL = (DSDNA, D, 12, "IU/mL", {"ref_high": 30})
C3_NORMAL = (C3, D, 1.1, "g/L")
C4_NORMAL = (C4, D, 0.25, "g/L")


def _labs(scenario, *labs):
    for code, day, value, unit, *rest in labs:
        kw = rest[0] if rest else {}
        scenario.lab(code, day, value, unit, **kw)


@pytest.mark.parametrize(
    ("labs", "expected"),
    [
        pytest.param([DSDNA_NORMAL, C3_NORMAL, C4_NORMAL], "not_met", id="all-three-normal"),
        pytest.param(
            [(DSDNA, D, 31, "IU/mL", {"ref_high": 30})], "met", id="dsdna-31-above-uln-30-alone-decides"
        ),
        pytest.param(
            [(DSDNA, D, 30, "IU/mL", {"ref_high": 30}), C3_NORMAL, C4_NORMAL],
            "not_met",
            id="dsdna-at-uln-is-not-above",
        ),
        pytest.param(
            [(DSDNA, D, None, None, {"value_text": "Positive"})], "met", id="dsdna-qualitative-positive"
        ),
        pytest.param(
            [(DSDNA, D, None, None, {"value_text": "Negative"}), C3_NORMAL, C4_NORMAL],
            "not_met",
            id="dsdna-qualitative-negative",
        ),
        pytest.param(
            [(DSDNA, D, 80, "IU/mL"), C3_NORMAL, C4_NORMAL], "unknown", id="dsdna-without-ref-high-is-open"
        ),
        pytest.param([DSDNA_NORMAL, C3_NORMAL], "unknown", id="no-c4-leaves-it-open"),
        pytest.param([(C3, D, 0.89, "g/L", {"ref_low": 0.9})], "met", id="c3-just-below-own-lln"),
        pytest.param(
            [DSDNA_NORMAL, (C3, D, 0.9, "g/L", {"ref_low": 0.9}), C4_NORMAL], "not_met", id="c3-at-lln"
        ),
        pytest.param([(C3, D, 89, "mg/dL", {"ref_low": 90})], "met", id="c3-mg-per-dl-with-lln-in-mg-per-dl"),
        pytest.param(
            [DSDNA_NORMAL, (C3, D, 90, "mg/dL", {"ref_low": 90}), C4_NORMAL], "not_met", id="c3-90-mg-dl"
        ),
        pytest.param([(C3, D, 0.85, "g/L")], "met", id="c3-without-ref-low-below-default-0.9"),
        pytest.param(
            [DSDNA_NORMAL, (C3, D, 0.9, "g/L"), C4_NORMAL], "not_met", id="c3-without-ref-low-at-default"
        ),
        pytest.param([(C3, D, 1.0, "g/L", {"ref_low": 1.1})], "met", id="own-lln-beats-default"),
        pytest.param([(C4, D, 9, "mg/dL", {"ref_low": 10})], "met", id="c4-below-lln-in-mg-per-dl"),
        pytest.param(
            [(C3, D, None, "g/L", {"value_text": "<0.4", "ref_low": 0.9})], "met", id="c3-comparator"
        ),
        pytest.param(
            [DSDNA_NORMAL, (C3, D, 1.1, "furlongs"), C4_NORMAL],
            "unknown",
            id="c3-in-unknown-unit-is-not-read",
        ),
        pytest.param([], "unknown", id="no-test"),
    ],
)
def test_ln_inc_serology_three_valued_or(scenario, labs, expected):
    scenario.patient()
    _labs(scenario, *labs)
    status, evidence = scenario.evaluate(TRIAL)["inc_serology"]
    assert status == expected, evidence


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        pytest.param("2026-08-28", "met", id="exactly-90-days-old"),
        pytest.param("2026-08-27", "unknown", id="91-days"),
    ],
)
def test_ln_inc_serology_window_is_inclusive(scenario, day, expected):
    scenario.patient().lab(DSDNA, day, 200, "IU/mL", ref_high=30)
    assert scenario.evaluate(TRIAL)["inc_serology"][0] == expected


def test_ln_inc_serology_latest_test_decides_not_the_worst(scenario):
    scenario.patient().lab(DSDNA, "2026-09-01", 300, "IU/mL", ref_high=30)
    _labs(scenario, DSDNA_NORMAL, C3_NORMAL, C4_NORMAL)
    status, evidence = scenario.evaluate(TRIAL)["inc_serology"]
    assert status == "not_met", evidence


def test_ln_inc_serology_evidence_says_which_limit(scenario):
    scenario.patient().lab(DSDNA, D, 120, "IU/mL", ref_high=30).lab(C3, D, 62, "mg/dL", ref_low=90)
    scenario.lab(C4, D, 0.05, "g/L")
    _, evidence = scenario.evaluate(TRIAL)["inc_serology"]
    assert evidence == (
        "anti-dsDNA 120 IU/mL on 2026-11-01 > ULN 30 IU/mL; "
        "C3 0.62 g/L on 2026-11-01 < LLN 0.9 g/L (ref_low); "
        "C4 0.05 g/L on 2026-11-01 < LLN 0.1 g/L (default)"
    )
