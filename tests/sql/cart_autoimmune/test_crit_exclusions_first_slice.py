"""exc_pregnancy and exc_prior_cart at their edges."""

import pytest

URINE_HCG, SERUM_HCG = "2106-3", "2118-8"


@pytest.mark.parametrize(
    ("setup", "sex", "expected"),
    [
        pytest.param(("lab", URINE_HCG, "2026-09-27", "Positive"), "F", "met", id="positive-60-days-ago"),
        pytest.param(("lab", URINE_HCG, "2026-09-26", "Positive"), "F", "unknown", id="positive-61-days-ago"),
        pytest.param(("lab", SERUM_HCG, "2026-11-20", "Detected"), "F", "met", id="serum-detected"),
        pytest.param(("lab", URINE_HCG, "2026-11-20", "Negative"), "F", "not_met", id="negative"),
        pytest.param(("lab", URINE_HCG, "2026-11-20", "Indeterminate"), "F", "unknown", id="indeterminate"),
        pytest.param(("lab", URINE_HCG, "2026-11-27", "Positive"), "F", "unknown", id="after-as-of"),
        pytest.param(("dx", "Z33.1", "2026-10-01"), "F", "met", id="pregnancy-diagnosis"),
        pytest.param(("dx", "Z33.1", "2026-09-26"), "F", "unknown", id="pregnancy-diagnosis-too-old"),
        pytest.param(None, "F", "unknown", id="no-test-woman"),
        pytest.param(None, "M", "not_met", id="no-test-man"),
    ],
)
def test_exc_pregnancy_edges(scenario, setup, sex, expected):
    scenario.patient(sex=sex)
    if setup and setup[0] == "lab":
        scenario.lab(setup[1], setup[2], value_text=setup[3])
    elif setup:
        scenario.diagnosis(setup[1], setup[2])
    status, evidence = scenario.evaluate()["exc_pregnancy"]
    assert status == expected, evidence


def test_exc_pregnancy_later_negative_overrides_earlier_positive(scenario):
    scenario.patient().lab(URINE_HCG, "2026-10-01", value_text="Positive")
    scenario.lab(URINE_HCG, "2026-11-20", value_text="Negative")
    assert scenario.evaluate()["exc_pregnancy"][0] == "not_met"


@pytest.mark.parametrize(
    "same_day",
    [
        pytest.param([(URINE_HCG, "Negative"), (SERUM_HCG, "Positive")], id="urine-neg-then-serum-pos"),
        pytest.param([(SERUM_HCG, "Positive"), (URINE_HCG, "Negative")], id="serum-pos-then-urine-neg"),
        pytest.param([(URINE_HCG, "Positive"), (URINE_HCG, "Negative")], id="urine-positive-then-negative"),
    ],
)
def test_exc_pregnancy_positive_test_wins_over_negative_on_the_same_day(scenario, same_day):
    scenario.patient()
    for code, text in same_day:
        scenario.lab(code, "2026-11-20", value_text=text)
    status, evidence = scenario.evaluate()["exc_pregnancy"]
    assert status == "met", evidence
    assert evidence.endswith("positive on 2026-11-20")


def test_exc_pregnancy_indeterminate_and_negative_on_the_same_day_stay_open(scenario):
    scenario.patient().lab(URINE_HCG, "2026-11-20", value_text="Indeterminate")
    scenario.lab(URINE_HCG, "2026-11-20", value_text="Negative")
    assert scenario.evaluate()["exc_pregnancy"][0] == "unknown"


@pytest.mark.parametrize(
    ("code", "date", "expected"),
    [
        pytest.param("Z92.850", "2023-01-01", "met", id="history-of-cart"),
        pytest.param("z92850", "2023-01-01", "met", id="history-of-cart-no-dot"),
        pytest.param("Z92.850", "2026-12-01", "not_met", id="recorded-after-as-of"),
        pytest.param(None, None, "not_met", id="no-record"),
    ],
)
def test_exc_prior_cart_edges(scenario, code, date, expected):
    scenario.patient()
    if code:
        scenario.diagnosis(code, date)
    assert scenario.evaluate()["exc_prior_cart"][0] == expected
