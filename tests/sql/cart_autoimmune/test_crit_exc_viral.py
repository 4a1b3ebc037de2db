"""exc_viral (exclusion, met = excluded): HBV, HCV, HIV, syphilis, CMV.

HBV: (HBsAg or anti-HBc positive) and HBV DNA above the reference range; HCV: HCV Ab
positive and HCV RNA above the reference range; HIV antibody positive; syphilis positive;
CMV DNA detected within 90 days. The latest result of each test decides.
"""

import pytest

HBSAG, ANTI_HBC, HBV_DNA_IU, HBV_DNA_COPIES = "5196-1", "16933-4", "42595-9", "29615-2"
HCV_AB, HCV_RNA_IU, HCV_RNA_COPIES, HCV_RNA_QUAL = "16128-1", "11011-4", "20416-4", "11259-9"
HIV_COMBO, HIV1_AB, HIV12_AB, HIV_PANEL = "56888-1", "7917-8", "7918-6", "75622-1"
RPR, TP_EIA, TP_IF, TP_AB = "20507-0", "47236-5", "5393-4", "22587-0"
CMV_COPIES, CMV_IU, CMV_QUAL = "30247-1", "72493-0", "5000-5"
SEROLOGY_DAY, DAY = "2026-06-01", "2026-11-01"

# every virus screened negative: the baseline is not_met
NEGATIVE_PANEL = {
    "hbsag": (HBSAG, SEROLOGY_DAY, "Negative"),
    "anti_hbc": (ANTI_HBC, SEROLOGY_DAY, "Non-reactive"),
    "hcv_ab": (HCV_AB, SEROLOGY_DAY, "Negative"),
    "hiv": (HIV_COMBO, SEROLOGY_DAY, "Non-reactive"),
    "rpr": (RPR, SEROLOGY_DAY, "Non-reactive"),
    "cmv": (CMV_QUAL, DAY, "Not detected"),
}


def _text(code, day, text, unit=None, ref_high=None):
    return {"args": (code, day, None, unit), "value_text": text, "ref_high": ref_high}


def _num(code, day, value, unit, ref_high=None):
    return {"args": (code, day, value, unit), "value_text": None, "ref_high": ref_high}


def _evaluate(scenario, drop=(), labs=(), overrides=None):
    """Baseline negative panel without the tests in `drop`, plus `labs`."""
    scenario.patient()
    for key, (code, day, text) in NEGATIVE_PANEL.items():
        if key not in drop:
            scenario.lab(code, day, value_text=text)
    for lab in labs:
        scenario.lab(*lab["args"], value_text=lab["value_text"], ref_high=lab["ref_high"])
    return scenario.evaluate(overrides=overrides)["exc_viral"]


HBSAG_POS = _text(HBSAG, SEROLOGY_DAY, "Positive")
HCV_AB_POS = _text(HCV_AB, SEROLOGY_DAY, "Reactive")


@pytest.mark.parametrize(
    ("drop", "labs", "expected"),
    [
        pytest.param(
            ["hbsag"],
            [HBSAG_POS, _num(HBV_DNA_IU, DAY, 2000, "IU/mL", ref_high=20)],
            "met",
            id="hbsag-positive-dna-above-ref-high",
        ),
        pytest.param(
            ["hbsag"],
            [HBSAG_POS, _num(HBV_DNA_IU, DAY, 20, "IU/mL", ref_high=20)],
            "not_met",
            id="hbsag-positive-dna-equal-to-ref-high",
        ),
        pytest.param(
            ["hbsag"],
            [HBSAG_POS, _num(HBV_DNA_IU, DAY, 21, "IU/mL", ref_high=20)],
            "met",
            id="hbsag-positive-dna-just-above-ref-high",
        ),
        pytest.param(
            ["anti_hbc"],
            [_text(ANTI_HBC, SEROLOGY_DAY, "Reactive"), _num(HBV_DNA_COPIES, DAY, 500, "copies/mL")],
            "met",
            id="anti-hbc-positive-dna-copies-quantified-no-ref-high",
        ),
        pytest.param(
            ["anti_hbc"],
            [_text("13952-7", SEROLOGY_DAY, "Positive"), _num(HBV_DNA_IU, DAY, 35, "IU/mL")],
            "met",
            id="anti-hbc-other-code-dna-iu-quantified-no-ref-high",
        ),
        pytest.param(
            ["hbsag"],
            [_text("5195-3", SEROLOGY_DAY, "Positive"), _text(HBV_DNA_IU, DAY, "<20", "IU/mL")],
            "not_met",
            id="hbsag-positive-dna-below-limit-of-quantification",
        ),
        pytest.param(
            ["hbsag"],
            [HBSAG_POS, _text(HBV_DNA_IU, DAY, "Not detected")],
            "not_met",
            id="hbsag-positive-dna-not-detected",
        ),
        pytest.param(
            ["hbsag"], [HBSAG_POS, _num(HBV_DNA_IU, DAY, 0, "IU/mL")], "not_met", id="hbsag-positive-dna-zero"
        ),
        pytest.param(
            ["hbsag"],
            [HBSAG_POS, _text(HBV_DNA_IU, DAY, "Detected")],
            "met",
            id="hbsag-positive-dna-detected-text",
        ),
        pytest.param(
            ["hbsag"],
            [HBSAG_POS, _text(HBV_DNA_IU, DAY, ">170000000", "IU/mL")],
            "met",
            id="hbsag-positive-dna-above-upper-limit",
        ),
        pytest.param(
            ["hbsag"],
            [HBSAG_POS, _text(HBV_DNA_IU, DAY, "<50", "IU/mL", ref_high=20)],
            "unknown",
            id="hbsag-positive-dna-below-50-vs-ref-high-20-open",
        ),
        pytest.param(["hbsag"], [HBSAG_POS], "unknown", id="hbsag-positive-without-viral-load"),
        pytest.param(
            ["hbsag"],
            [HBSAG_POS, _num(HBV_DNA_IU, "2026-08-28", 2000, "IU/mL", ref_high=20)],
            "met",
            id="dna-exactly-90-days-old-counts",
        ),
        pytest.param(
            ["hbsag"],
            [HBSAG_POS, _num(HBV_DNA_IU, "2026-08-27", 2000, "IU/mL", ref_high=20)],
            "unknown",
            id="dna-91-days-old-too-old",
        ),
        pytest.param(
            ["hbsag"],
            [HBSAG_POS, _num(HBV_DNA_IU, "2026-11-27", 2000, "IU/mL", ref_high=20)],
            "unknown",
            id="dna-after-as-of-ignored",
        ),
        pytest.param(
            ["hbsag"],
            [HBSAG_POS, _num(HBV_DNA_IU, DAY, 5, "log IU/mL")],
            "unknown",
            id="dna-unknown-unit-not-read",
        ),
        pytest.param(
            ["hbsag"],
            [
                HBSAG_POS,
                _text(HBV_DNA_IU, "2026-09-01", "Not detected"),
                _num(HBV_DNA_IU, DAY, 2000, None, ref_high=20),
            ],
            "unknown",
            id="later-dna-without-unit-leaves-hbv-open-not-the-earlier-negative",
        ),
        pytest.param(
            ["hbsag"],
            [
                HBSAG_POS,
                _num(HBV_DNA_IU, "2026-09-01", 2000, "IU/mL", ref_high=20),
                _text(HBV_DNA_IU, DAY, "Not detected"),
            ],
            "not_met",
            id="later-undetectable-dna-overrides-earlier-high",
        ),
        pytest.param(
            ["hbsag"],
            [
                HBSAG_POS,
                _text(HBV_DNA_IU, "2026-09-01", "Not detected"),
                _num(HBV_DNA_COPIES, DAY, 900, "copies/mL", ref_high=100),
            ],
            "met",
            id="later-high-dna-overrides-earlier-undetectable",
        ),
        pytest.param(
            [],
            [_num(HBV_DNA_IU, DAY, 2000, "IU/mL", ref_high=20)],
            "unknown",
            id="dna-above-with-negative-screens-conflict",
        ),
        pytest.param(
            ["hbsag", "anti_hbc"],
            [_num(HBV_DNA_IU, DAY, 2000, "IU/mL", ref_high=20)],
            "unknown",
            id="dna-above-without-screens",
        ),
        pytest.param(
            ["hbsag", "anti_hbc"],
            [_text(HBV_DNA_IU, DAY, "Not detected")],
            "not_met",
            id="undetectable-dna-without-screens",
        ),
        pytest.param(["anti_hbc"], [], "unknown", id="hbsag-negative-anti-hbc-missing"),
        pytest.param(
            ["hbsag"],
            [_text(HBSAG, "2026-01-01", "Positive"), _text(HBSAG, SEROLOGY_DAY, "Negative")],
            "not_met",
            id="later-negative-hbsag-overrides-earlier-positive",
        ),
        pytest.param(
            ["hbsag"], [_text(HBSAG, SEROLOGY_DAY, "Indeterminate")], "unknown", id="hbsag-indeterminate"
        ),
    ],
)
def test_exc_viral_hepatitis_b(scenario, drop, labs, expected):
    status, evidence = _evaluate(scenario, drop, labs)
    assert status == expected, evidence


@pytest.mark.parametrize(
    ("drop", "labs", "expected"),
    [
        pytest.param(
            ["hcv_ab"],
            [HCV_AB_POS, _num(HCV_RNA_IU, DAY, 1000, "IU/mL", ref_high=15)],
            "met",
            id="hcv-ab-positive-rna-iu-above-ref-high",
        ),
        pytest.param(
            ["hcv_ab"],
            [HCV_AB_POS, _num(HCV_RNA_IU, DAY, 15, "IU/mL", ref_high=15)],
            "not_met",
            id="hcv-rna-equal-to-ref-high",
        ),
        pytest.param(
            ["hcv_ab"],
            [_text("13955-0", SEROLOGY_DAY, "Positive"), _num(HCV_RNA_COPIES, DAY, 5000, "copies/mL")],
            "met",
            id="hcv-ab-other-code-rna-copies-quantified",
        ),
        pytest.param(
            ["hcv_ab"],
            [HCV_AB_POS, _text(HCV_RNA_QUAL, DAY, "Detected")],
            "met",
            id="hcv-rna-qualitative-detected",
        ),
        pytest.param(
            ["hcv_ab"],
            [HCV_AB_POS, _text(HCV_RNA_QUAL, DAY, "Not detected")],
            "not_met",
            id="hcv-rna-qualitative-not-detected-cured",
        ),
        pytest.param(
            ["hcv_ab"],
            [HCV_AB_POS, _text(HCV_RNA_IU, DAY, "<15", "IU/mL")],
            "not_met",
            id="hcv-rna-below-limit-of-quantification",
        ),
        pytest.param(["hcv_ab"], [HCV_AB_POS], "unknown", id="hcv-ab-positive-without-rna"),
        pytest.param(
            ["hcv_ab"],
            [HCV_AB_POS, _num(HCV_RNA_IU, "2026-08-27", 1000, "IU/mL")],
            "unknown",
            id="hcv-rna-91-days-old",
        ),
        pytest.param(
            [],
            [_num(HCV_RNA_IU, DAY, 1000, "IU/mL", ref_high=15)],
            "unknown",
            id="hcv-rna-above-with-negative-antibody-conflict",
        ),
        pytest.param(["hcv_ab"], [], "unknown", id="hcv-ab-missing"),
    ],
)
def test_exc_viral_hepatitis_c(scenario, drop, labs, expected):
    status, evidence = _evaluate(scenario, drop, labs)
    assert status == expected, evidence


@pytest.mark.parametrize(
    ("drop", "labs", "expected"),
    [
        pytest.param(
            ["hiv"], [_text(HIV_COMBO, SEROLOGY_DAY, "Reactive")], "met", id="hiv-ag-ab-combo-reactive"
        ),
        pytest.param(["hiv"], [_text(HIV1_AB, SEROLOGY_DAY, "Positive")], "met", id="hiv1-ab-positive"),
        pytest.param(["hiv"], [_text(HIV12_AB, SEROLOGY_DAY, "Positive")], "met", id="hiv12-ab-positive"),
        pytest.param(
            [], [_text(HIV_PANEL, DAY, "Positive")], "not_met", id="hiv-meaningful-use-panel-is-not-a-result"
        ),
        pytest.param(
            ["hiv"], [_text(HIV_PANEL, DAY, "Positive")], "unknown", id="hiv-panel-alone-is-no-test"
        ),
        pytest.param(
            ["hiv"],
            [_text(HIV_COMBO, "2026-01-01", "Reactive"), _text(HIV1_AB, SEROLOGY_DAY, "Negative")],
            "not_met",
            id="later-negative-overrides-earlier-reactive-screen",
        ),
        pytest.param(
            [], [_text(HIV1_AB, DAY, "Positive")], "met", id="later-positive-overrides-earlier-negative"
        ),
        pytest.param(
            [], [_text(HIV1_AB, "2026-11-27", "Positive")], "not_met", id="positive-after-as-of-ignored"
        ),
        pytest.param(
            ["hiv"], [_text(HIV_COMBO, SEROLOGY_DAY, "Indeterminate")], "unknown", id="hiv-indeterminate"
        ),
        pytest.param(
            ["hiv"],
            [_text(HIV_COMBO, "2010-01-01", "Positive")],
            "met",
            id="old-positive-still-counts-chronic-infection",
        ),
        pytest.param(["hiv"], [], "unknown", id="hiv-missing"),
    ],
)
def test_exc_viral_hiv(scenario, drop, labs, expected):
    status, evidence = _evaluate(scenario, drop, labs)
    assert status == expected, evidence


@pytest.mark.parametrize(
    ("drop", "labs", "expected"),
    [
        pytest.param(["rpr"], [_text(RPR, SEROLOGY_DAY, "Reactive")], "met", id="rpr-reactive"),
        pytest.param(["rpr"], [_text(TP_EIA, SEROLOGY_DAY, "Positive")], "met", id="treponemal-eia-positive"),
        pytest.param(["rpr"], [_text(TP_IF, SEROLOGY_DAY, "Positive")], "met", id="treponemal-if-positive"),
        pytest.param(["rpr"], [_text(TP_AB, SEROLOGY_DAY, "Positive")], "met", id="treponemal-ab-positive"),
        pytest.param(
            [],
            [_text(TP_EIA, "2025-01-01", "Positive")],
            "met",
            id="treponemal-positive-with-later-negative-rpr",
        ),
        pytest.param(
            ["rpr"],
            [_text(TP_EIA, SEROLOGY_DAY, "Negative")],
            "not_met",
            id="treponemal-negative-alone-screens",
        ),
        pytest.param(
            [], [_text(TP_EIA, SEROLOGY_DAY, "Equivocal")], "unknown", id="rpr-negative-treponemal-equivocal"
        ),
        pytest.param(
            [], [_text(RPR, DAY, "Reactive")], "met", id="later-reactive-rpr-overrides-earlier-negative"
        ),
        pytest.param(
            ["rpr"],
            [_text(RPR, "2026-01-01", "Reactive"), _text(RPR, SEROLOGY_DAY, "Non-reactive")],
            "not_met",
            id="later-non-reactive-rpr-overrides-earlier-reactive",
        ),
        pytest.param(["rpr"], [], "unknown", id="syphilis-missing"),
    ],
)
def test_exc_viral_syphilis(scenario, drop, labs, expected):
    status, evidence = _evaluate(scenario, drop, labs)
    assert status == expected, evidence


@pytest.mark.parametrize(
    ("labs", "expected"),
    [
        pytest.param([_num(CMV_COPIES, DAY, 500, "copies/mL")], "met", id="cmv-copies-quantified"),
        pytest.param(
            [_num(CMV_IU, DAY, 200, "IU/mL", ref_high=1000)], "met", id="cmv-iu-quantified-ref-high-not-used"
        ),
        pytest.param([_text(CMV_QUAL, DAY, "Detected")], "met", id="cmv-qualitative-detected"),
        pytest.param([_text(CMV_QUAL, DAY, "Not detected")], "not_met", id="cmv-qualitative-not-detected"),
        pytest.param(
            [_text(CMV_IU, DAY, "<137", "IU/mL")], "not_met", id="cmv-below-limit-of-quantification"
        ),
        pytest.param(
            [_text(CMV_QUAL, "2026-08-28", "Detected")], "met", id="cmv-detected-exactly-90-days-ago"
        ),
        pytest.param(
            [_text(CMV_QUAL, "2026-08-27", "Detected")],
            "unknown",
            id="cmv-detected-91-days-ago-no-recent-test",
        ),
        pytest.param([_text(CMV_QUAL, "2026-11-27", "Detected")], "unknown", id="cmv-after-as-of-ignored"),
        pytest.param(
            [_text(CMV_QUAL, "2026-09-01", "Detected"), _text(CMV_QUAL, DAY, "Not detected")],
            "not_met",
            id="later-not-detected-overrides-earlier-detected",
        ),
        pytest.param(
            [_text(CMV_QUAL, "2026-09-01", "Not detected"), _num(CMV_COPIES, DAY, 300, "copies/mL")],
            "met",
            id="later-detected-overrides-earlier-not-detected",
        ),
        pytest.param([], "unknown", id="cmv-missing"),
        pytest.param([_num(CMV_COPIES, DAY, 500, None)], "met", id="cmv-load-without-unit-detected"),
        pytest.param([_num(CMV_IU, DAY, 500, "kIU/L")], "met", id="cmv-load-in-unknown-unit-detected"),
        pytest.param(
            [_text(CMV_QUAL, "2026-09-01", "Not detected"), _num(CMV_COPIES, DAY, 500, None)],
            "met",
            id="later-load-without-unit-overrides-earlier-not-detected",
        ),
        pytest.param(
            [_text(CMV_QUAL, "2026-09-01", "Not detected"), _text(CMV_COPIES, DAY, "<35")],
            "not_met",
            id="later-load-below-quantification-without-unit-not-detected",
        ),
    ],
)
def test_exc_viral_cmv(scenario, labs, expected):
    status, evidence = _evaluate(scenario, ["cmv"], labs)
    assert status == expected, evidence


def test_exc_viral_negative_panel_is_not_met_and_names_every_test(scenario):
    status, evidence = _evaluate(scenario)
    assert status == "not_met"
    assert evidence == (
        "HBV: HBsAg negative on 2026-06-01, anti-HBc negative on 2026-06-01; "
        "HCV: HCV Ab negative on 2026-06-01; HIV: HIV Ab negative on 2026-06-01; "
        "syphilis: RPR negative on 2026-06-01, no T. pallidum Ab result; "
        "CMV: CMV DNA negative on 2026-11-01"
    )


def test_exc_viral_no_test_at_all_is_unknown(scenario):
    scenario.patient()
    status, evidence = scenario.evaluate()["exc_viral"]
    assert status == "unknown"
    assert evidence.endswith(": verify at screening")


def test_exc_viral_evidence_names_the_deciding_records(scenario):
    labs = [HBSAG_POS, _num(HBV_DNA_IU, DAY, 2000, "IU/mL", ref_high=20)]
    assert _evaluate(scenario, ["hbsag"], labs) == (
        "met",
        "HBV: HBsAg positive on 2026-06-01, anti-HBc negative on 2026-06-01, "
        "HBV DNA 2000 IU/mL on 2026-11-01 > ref_high 20 IU/mL",
    )


def test_exc_viral_unknown_evidence_lists_only_the_open_viruses(scenario):
    status, evidence = _evaluate(scenario, ["cmv"], [_text(CMV_QUAL, "2026-05-01", "Detected")])
    assert status == "unknown"
    assert evidence == (
        "CMV: no CMV DNA result within 90 days before 2026-11-26 (latest 2026-05-01, too old)"
        ": verify at screening"
    )


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param({}, "not_met", id="defaults-old-negative-serology-counts"),
        pytest.param({"exc_viral.serology_window_days": 365}, "unknown", id="serology-window-365-days"),
    ],
)
def test_exc_viral_serology_window_is_a_parameter(scenario, overrides, expected):
    labs = [_text(HIV_COMBO, "2024-01-01", "Negative")]
    status, evidence = _evaluate(scenario, ["hiv"], labs, overrides)
    assert status == expected, evidence


def test_exc_viral_viral_load_windows_are_parameters(scenario):
    labs = [
        HBSAG_POS,
        HCV_AB_POS,
        _num(HBV_DNA_IU, "2026-07-01", 2000, "IU/mL", ref_high=20),
        _text(HCV_RNA_QUAL, "2026-07-01", "Not detected"),
        _text(CMV_QUAL, "2026-07-01", "Detected"),
    ]
    assert _evaluate(scenario, ["hbsag", "hcv_ab", "cmv"], labs)[0] == "unknown"
    for name in ("hbv_dna_window_days", "cmv_window_days"):
        assert scenario.evaluate(overrides={f"exc_viral.{name}": 180})["exc_viral"][0] == "met"
    hcv_only = {"exc_viral.hcv_rna_window_days": 180}
    assert scenario.evaluate(overrides=hcv_only)["exc_viral"][0] == "unknown"


def test_exc_viral_evidence_shows_a_load_without_unit_as_reported(scenario):
    status, evidence = _evaluate(scenario, ["cmv"], [_num(CMV_COPIES, DAY, 500, None)])
    assert status == "met"
    assert "CMV DNA 500 (no unit) on 2026-11-01 (detected)" in evidence, evidence


def test_exc_viral_a_later_screen_with_only_an_index_number_does_not_hide_the_negative_reading(scenario):
    # an S/CO index is no measure: not interpreted, and not the latest readable result
    status, evidence = _evaluate(scenario, [], [_num(HBSAG, DAY, 0.3, "S/CO")])
    assert status == "not_met", evidence


def test_exc_viral_an_implausible_latest_load_is_not_evidence(scenario):
    """A negative CMV load (implausible: stg_labs.implausible) after an earlier detected one
    leaves CMV open instead of reading 'not quantified'."""
    labs = [_text(CMV_QUAL, "2026-09-01", "Detected"), _num(CMV_COPIES, DAY, -500, "copies/mL")]
    status, evidence = _evaluate(scenario, ["cmv"], labs)
    assert status == "unknown", evidence
    assert "CMV: latest CMV DNA -500 " in evidence
    assert f" on {DAY} is implausible" in evidence
