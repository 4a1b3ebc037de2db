"""inc_blood_counts: Hb >= 60 g/L and platelets >= 30 x 10^9/L, latest within 90 days."""

import pytest

HB, PLT = "718-7", "777-3"
OK_PLATELETS = (PLT, "2026-11-01", 150, "10^9/L")


@pytest.mark.parametrize(
    ("hb", "expected"),
    [
        pytest.param((HB, "2026-11-01", 60, "g/L"), "met", id="hb-exactly-60-g-per-l"),
        pytest.param((HB, "2026-11-01", 59.9, "g/L"), "not_met", id="hb-just-below-in-g-per-l"),
        pytest.param((HB, "2026-11-01", 6.0, "g/dL"), "met", id="hb-6-g-per-dl-is-60-g-per-l"),
        pytest.param((HB, "2026-11-01", 5.9, "g/dl"), "not_met", id="hb-5.9-g-per-dl-lower-case"),
        pytest.param((HB, "2026-11-01", 3.7, "mmol/L"), "not_met", id="hb-mmol-per-l-converted"),
        pytest.param(("20509-6", "2026-11-01", 61, "g/L"), "met", id="hb-other-loinc-code"),
        pytest.param((HB, "2026-08-28", 100, "g/L"), "met", id="hb-exactly-90-days-old"),
        pytest.param((HB, "2026-08-27", 100, "g/L"), "unknown", id="hb-91-days-old-too-old"),
        pytest.param((HB, "2026-11-27", 100, "g/L"), "unknown", id="hb-after-as-of-ignored"),
        pytest.param((HB, "2026-11-01", 100, None), "unknown", id="hb-without-unit-not-guessed"),
        pytest.param((HB, "2026-11-01", 100, "furlongs"), "unknown", id="hb-unknown-unit"),
        pytest.param(None, "unknown", id="hb-missing"),
    ],
)
def test_inc_blood_counts_hemoglobin_edges(scenario, hb, expected):
    scenario.patient().lab(*OK_PLATELETS)
    if hb:
        scenario.lab(*hb)
    status, evidence = scenario.evaluate()["inc_blood_counts"]
    assert status == expected, evidence


@pytest.mark.parametrize(
    ("platelets", "expected"),
    [
        pytest.param((PLT, "2026-11-01", 30, "10^9/L"), "met", id="plt-exactly-30"),
        pytest.param((PLT, "2026-11-01", 29.9, "10^9/L"), "not_met", id="plt-just-below"),
        pytest.param((PLT, "2026-11-01", 30, "K/uL"), "met", id="plt-30-k-per-ul"),
        pytest.param((PLT, "2026-11-01", 30, "10*3/uL"), "met", id="plt-30-ucum-10-3-per-ul"),
        pytest.param(("26515-7", "2026-11-01", 29, "10^9/L"), "not_met", id="plt-other-loinc"),
        pytest.param((PLT, "2026-11-01", 30000, "/uL"), "met", id="plt-per-ul-count"),
    ],
)
def test_inc_blood_counts_platelet_edges(scenario, platelets, expected):
    scenario.patient().lab(HB, "2026-11-01", 120, "g/L").lab(*platelets)
    status, evidence = scenario.evaluate()["inc_blood_counts"]
    assert status == expected, evidence


@pytest.mark.parametrize(
    "unit",
    [
        pytest.param("K/mcL", id="k-per-mcl"),
        pytest.param("thou/mcL", id="thou-per-mcl"),
        pytest.param("Thousand/uL", id="thousand-per-ul"),
        pytest.param("10*3/mcL", id="ucum-10-3-per-mcl"),
        pytest.param("x10^3/mcL", id="x10-3-per-mcl"),
        pytest.param("x10(3)/mcL", id="x10-3-in-brackets-per-mcl"),
        pytest.param("10(9)/L", id="10-9-in-brackets-per-l"),
        pytest.param("10³/µL", id="superscript-3-per-micro-l"),
        pytest.param("10⁹/L", id="superscript-9-per-l"),
        pytest.param("\u00d710\u2079/L", id="times-sign-superscript-9-per-l"),
    ],
)
@pytest.mark.parametrize(("value", "expected"), [(30, "met"), (29, "not_met")], ids=["30", "29"])
def test_inc_blood_counts_reads_common_platelet_unit_spellings(scenario, unit, value, expected):
    # "mcL" is the microlitre as many US laboratory systems print it; all are 10^9/L
    scenario.patient().lab(HB, "2026-11-01", 120, "g/L").lab(PLT, "2026-11-01", value, unit)
    status, evidence = scenario.evaluate()["inc_blood_counts"]
    assert status == expected, evidence


def test_inc_blood_counts_reads_a_platelet_count_per_mcl(scenario):
    scenario.patient().lab(HB, "2026-11-01", 120, "g/L").lab(PLT, "2026-11-01", 29000, "/mcL")
    status, evidence = scenario.evaluate()["inc_blood_counts"]
    assert status == "not_met", evidence
    assert "Platelets 29 10^9/L" in evidence, evidence


@pytest.mark.parametrize(
    ("value_text", "expected"),
    [
        pytest.param("<20", "not_met", id="below-20-is-below-30"),
        pytest.param(">400", "met", id="above-400-is-above-30"),
        pytest.param("<50", "unknown", id="below-50-leaves-it-open"),
    ],
)
def test_inc_blood_counts_keeps_comparators(scenario, value_text, expected):
    scenario.patient().lab(HB, "2026-11-01", 120, "g/L")
    scenario.lab(PLT, "2026-11-01", None, "10^9/L", value_text=value_text)
    assert scenario.evaluate()["inc_blood_counts"][0] == expected


def test_inc_blood_counts_latest_result_decides_not_the_worst(scenario):
    scenario.patient().lab(*OK_PLATELETS)
    scenario.lab(HB, "2026-09-01", 50, "g/L").lab(HB, "2026-11-01", 100, "g/L")
    assert scenario.evaluate()["inc_blood_counts"][0] == "met"


def test_inc_blood_counts_latest_abnormal_overrides_earlier_normal(scenario):
    scenario.patient().lab(*OK_PLATELETS)
    scenario.lab(HB, "2026-09-01", 100, "g/L").lab(HB, "2026-11-01", 58, "g/L")
    status, evidence = scenario.evaluate()["inc_blood_counts"]
    assert status == "not_met"
    assert evidence.startswith("Hb 58 g/L on 2026-11-01 < 60 g/L")


def test_inc_blood_counts_evidence_says_when_the_latest_result_is_too_old(scenario):
    scenario.patient().lab(*OK_PLATELETS).lab(HB, "2026-01-03", 100, "g/L")
    _, evidence = scenario.evaluate()["inc_blood_counts"]
    assert "no Hb result within 90 days before 2026-11-26 (latest 2026-01-03, too old)" in evidence


def test_inc_blood_counts_thresholds_and_window_are_parameters(scenario):
    scenario.patient().lab(*OK_PLATELETS).lab(HB, "2026-08-01", 70, "g/L")
    overrides = {"inc_blood_counts.hb_min": 80, "inc_blood_counts.window_days": 180}
    assert scenario.evaluate(overrides=overrides)["inc_blood_counts"][0] == "not_met"


@pytest.mark.parametrize(
    ("hb", "expected"),
    [
        pytest.param(("30313-1", "2026-11-01", 60, "g/L"), "met", id="hb-arterial-blood-code"),
        pytest.param(
            ("59260-0", "2026-11-01", 3.73, "mmol/L"),
            "met",
            id="hb-moles-code-3.73-mmol-per-l-is-60.1-g-per-l",
        ),
        pytest.param(
            ("59260-0", "2026-11-01", 3.72, "mmol/L"),
            "not_met",
            id="hb-moles-code-3.72-mmol-per-l-is-59.9-g-per-l",
        ),
        pytest.param((HB, "2026-11-01", 6.0, "g/100mL"), "met", id="hb-g-per-100-ml"),
        pytest.param((HB, "2026-11-01", 5.9, "gm/dL"), "not_met", id="hb-gm-per-dl-old-spelling"),
        pytest.param((HB, "2026-11-01", 6.0, "g%"), "met", id="hb-gram-per-cent"),
    ],
)
def test_inc_blood_counts_every_hemoglobin_code_and_unit(scenario, hb, expected):
    scenario.patient().lab(*OK_PLATELETS).lab(*hb)
    status, evidence = scenario.evaluate()["inc_blood_counts"]
    assert status == expected, evidence


@pytest.mark.parametrize(
    ("platelets", "expected"),
    [
        pytest.param((PLT, "2026-11-01", 30, "G/L"), "met", id="plt-giga-per-l-french-spelling"),
        pytest.param((PLT, "2026-11-01", 29, "giga/L"), "not_met", id="plt-giga-per-l-spelled-out"),
        pytest.param((PLT, "2026-11-01", 30, "10^3/µL"), "met", id="plt-micro-sign"),
        pytest.param((PLT, "2026-11-01", 29, "10^3/μL"), "not_met", id="plt-greek-mu"),
        pytest.param((PLT, "2026-11-01", 30, "10*3/µL"), "met", id="plt-ucum-micro-sign"),
        pytest.param((PLT, "2026-11-01", 30, "K/µL"), "met", id="plt-k-per-micro-litre"),
        pytest.param((PLT, "2026-11-01", 30, "x10*9/L"), "met", id="plt-times-ucum-10-9-per-l"),
        pytest.param((PLT, "2026-11-01", 30, "x10*3/uL"), "met", id="plt-times-ucum-10-3-per-ul"),
    ],
)
def test_inc_blood_counts_every_platelet_unit(scenario, platelets, expected):
    scenario.patient().lab(HB, "2026-11-01", 120, "g/L").lab(*platelets)
    status, evidence = scenario.evaluate()["inc_blood_counts"]
    assert status == expected, evidence


@pytest.mark.parametrize(
    ("later_hb", "expected", "evidence"),
    [
        pytest.param(
            dict(value_text="4.0", unit="gr/dL"),
            "unknown",
            "latest Hb 4.0 'gr/dL' on 2026-11-10: unit not understood",
            id="unknown-unit-spelling",
        ),
        pytest.param(
            dict(value_num=4.0, unit=None),
            "unknown",
            "latest Hb 4 (no unit) on 2026-11-10: unit missing",
            id="no-unit",
        ),
        pytest.param(
            dict(value_num=-112, unit="g/L"),
            "unknown",
            "latest Hb -112 g/L on 2026-11-10 is implausible",
            id="implausible-negative",
        ),
        pytest.param(
            dict(value_num=900, unit="g/L"),
            "unknown",
            "latest Hb 900 g/L on 2026-11-10 is implausible",
            id="implausible-above-range",
        ),
        pytest.param(
            dict(value_num=50, unit="g/L"), "not_met", "Hb 50 g/L on 2026-11-10 < 60 g/L", id="readable"
        ),
    ],
)
def test_inc_blood_counts_unreadable_latest_hb_is_not_replaced_by_an_older_one(
    scenario, later_hb, expected, evidence
):
    """Hb 120 g/L in October, then a later Hb that cannot be read: the older one never decides."""
    scenario.patient().lab(*OK_PLATELETS).lab(HB, "2026-10-01", 120, "g/L")
    scenario.lab(
        HB, "2026-11-10", later_hb.get("value_num"), later_hb["unit"], value_text=later_hb.get("value_text")
    )
    status, text = scenario.evaluate()["inc_blood_counts"]
    assert (status, evidence in text) == (expected, True), text


def test_inc_blood_counts_an_older_unreadable_hb_does_not_hide_a_later_readable_one(scenario):
    scenario.patient().lab(*OK_PLATELETS).lab(HB, "2026-10-01", 4.0, "gr/dL").lab(HB, "2026-11-10", -5, "g/L")
    scenario.lab(HB, "2026-11-12", 100, "g/L")
    assert scenario.evaluate()["inc_blood_counts"][0] == "met"
