"""lupus_nephritis exc_pregnancy: pregnancy or breastfeeding. met = excluded."""

import pytest

TRIAL = "lupus_nephritis"
URINE_HCG = "2106-3"


@pytest.mark.parametrize(
    ("sex", "tests", "diagnoses", "expected"),
    [
        pytest.param("F", [("2026-09-27", "Positive")], [], "met", id="positive-test-exactly-60-days-ago"),
        pytest.param("F", [("2026-09-26", "Positive")], [], "unknown", id="positive-test-61-days-ago"),
        pytest.param(
            "F", [("2026-10-01", "Positive"), ("2026-11-20", "Negative")], [], "not_met", id="latest-neg"
        ),
        pytest.param("F", [("2026-11-20", "Indeterminate")], [], "unknown", id="indeterminate"),
        pytest.param("F", [], [("Z39.1", "2026-11-10")], "met", id="lactating-mother-z39.1"),
        pytest.param(
            "F", [("2026-11-20", "Negative")], [("Z39.1", "2026-11-10")], "met", id="negative-but-lactating"
        ),
        pytest.param("F", [], [("Z34.90", "2026-11-10")], "met", id="supervision-of-normal-pregnancy"),
        pytest.param("F", [], [("z3a20", "2026-11-10")], "met", id="weeks-of-gestation-code"),
        pytest.param("F", [], [("Z39.1", "2026-09-26")], "unknown", id="lactation-61-days-ago"),
        pytest.param("F", [], [], "unknown", id="no-test"),
        pytest.param("M", [], [], "not_met", id="male"),
    ],
)
def test_ln_exc_pregnancy_edges(scenario, sex, tests, diagnoses, expected):
    scenario.patient(sex=sex)
    for day, text in tests:
        scenario.lab(URINE_HCG, day, None, None, value_text=text)
    for code, day in diagnoses:
        scenario.diagnosis(code, day)
    status, evidence = scenario.evaluate(TRIAL)["exc_pregnancy"]
    assert status == expected, evidence


@pytest.mark.parametrize(
    "same_day",
    [
        pytest.param([(URINE_HCG, "Negative"), ("2118-8", "Positive")], id="urine-neg-then-serum-pos"),
        pytest.param([("2118-8", "Positive"), (URINE_HCG, "Negative")], id="serum-pos-then-urine-neg"),
        pytest.param([(URINE_HCG, "Positive"), (URINE_HCG, "Negative")], id="urine-positive-then-negative"),
    ],
)
def test_ln_exc_pregnancy_positive_test_wins_over_negative_on_the_same_day(scenario, same_day):
    scenario.patient()
    for code, text in same_day:
        scenario.lab(code, "2026-11-20", None, None, value_text=text)
    status, evidence = scenario.evaluate(TRIAL)["exc_pregnancy"]
    assert status == "met", evidence
    assert evidence.endswith("positive on 2026-11-20")


def test_ln_exc_pregnancy_negative_test_leaves_breastfeeding_to_ask(scenario):
    scenario.patient().lab(URINE_HCG, "2026-11-20", None, None, value_text="Negative")
    _, evidence = scenario.evaluate(TRIAL)["exc_pregnancy"]
    assert evidence == "pregnancy test (LOINC 2106-3) negative on 2026-11-20; breastfeeding: ask at screening"
