"""inc_liver: AST, ALT <= 3 x ULN and total bilirubin <= 2 x ULN, each latest within 90 days.

The ULN is the result's own ref_high (in its unit), else the default ULN parameter
(AST 40 U/L, ALT 40 U/L, bilirubin 21 umol/L).
"""

import pytest

AST, ALT, BILI_MASS, BILI_MOLES, BILI_BLOOD = "1920-8", "1742-6", "1975-2", "14631-6", "42719-5"
DAY = "2026-11-01"
OK = {
    "ast": (AST, DAY, 30, "U/L"),
    "alt": (ALT, DAY, 30, "U/L"),
    "bili": (BILI_MOLES, DAY, 10, "umol/L"),
}


def _lab(code, day, value, unit, ref_high=None, value_text=None):
    return {"args": (code, day, value, unit), "ref_high": ref_high, "value_text": value_text}


def _evaluate(scenario, replace, labs, overrides=None):
    scenario.patient()
    for key, lab in OK.items():
        if key not in replace:
            scenario.lab(*lab)
    for lab in labs:
        scenario.lab(*lab["args"], ref_high=lab["ref_high"], value_text=lab["value_text"])
    return scenario.evaluate(overrides=overrides)["inc_liver"]


@pytest.mark.parametrize(
    ("lab", "expected"),
    [
        pytest.param(_lab(AST, DAY, 120, "U/L"), "met", id="ast-exactly-3x-default-uln"),
        pytest.param(_lab(AST, DAY, 120.1, "U/L"), "not_met", id="ast-just-above-3x-default-uln"),
        pytest.param(_lab(AST, DAY, 105, "U/L", ref_high=35), "met", id="ast-exactly-3x-own-ref-high"),
        pytest.param(
            _lab(AST, DAY, 105.1, "U/L", ref_high=35), "not_met", id="ast-just-above-3x-own-ref-high"
        ),
        pytest.param(_lab(AST, DAY, 150, "U/L", ref_high=50), "met", id="ast-own-ref-high-beats-default"),
        pytest.param(_lab(AST, DAY, 150, "U/L", ref_high=0), "not_met", id="ast-ref-high-zero-uses-default"),
        pytest.param(_lab(AST, DAY, 2, "ukat/L"), "met", id="ast-2-ukat-per-l-is-120-u-per-l"),
        pytest.param(_lab(AST, DAY, 2.01, "µkat/L"), "not_met", id="ast-micro-sign-ukat-converted"),
        pytest.param(
            _lab(AST, DAY, 1.8, "ukat/L", ref_high=0.6),
            "met",
            id="ast-ukat-value-and-ref-high-both-converted",
        ),
        pytest.param(_lab(AST, DAY, 1.81, "ukat/L", ref_high=0.6), "not_met", id="ast-ukat-just-above"),
        pytest.param(_lab(AST, DAY, 110, "IU/L"), "met", id="ast-iu-per-l"),
        pytest.param(_lab("30239-8", DAY, 121, "U/L"), "not_met", id="ast-with-p5p-code"),
        pytest.param(_lab("88112-8", DAY, 119, "U/L"), "met", id="ast-without-p5p-code"),
        pytest.param(_lab(AST, DAY, 30, None), "unknown", id="ast-without-unit-not-guessed"),
        pytest.param(_lab(AST, "2026-08-28", 30, "U/L"), "met", id="ast-exactly-90-days-old"),
        pytest.param(_lab(AST, "2026-08-27", 30, "U/L"), "unknown", id="ast-91-days-old"),
        pytest.param(_lab(AST, "2026-11-27", 30, "U/L"), "unknown", id="ast-after-as-of-ignored"),
        pytest.param(_lab(AST, DAY, None, "U/L", value_text="<10"), "met", id="ast-below-10"),
        pytest.param(_lab(AST, DAY, None, "U/L", value_text=">500"), "not_met", id="ast-above-500"),
        pytest.param(
            _lab(AST, DAY, None, "U/L", value_text=">100"), "unknown", id="ast-above-100-leaves-it-open"
        ),
        pytest.param(None, "unknown", id="ast-missing"),
    ],
)
def test_inc_liver_ast_edges(scenario, lab, expected):
    status, evidence = _evaluate(scenario, {"ast"}, [lab] if lab else [])
    assert status == expected, evidence


@pytest.mark.parametrize(
    ("lab", "expected"),
    [
        pytest.param(_lab(ALT, DAY, 120, "U/L"), "met", id="alt-exactly-3x-default-uln"),
        pytest.param(_lab(ALT, DAY, 120.1, "U/L"), "not_met", id="alt-just-above-3x-default-uln"),
        pytest.param(_lab(ALT, DAY, 99, "U/L", ref_high=33), "met", id="alt-exactly-3x-own-ref-high"),
        pytest.param(
            _lab(ALT, DAY, 99.1, "U/L", ref_high=33), "not_met", id="alt-just-above-3x-own-ref-high"
        ),
        pytest.param(_lab("1744-2", DAY, 125, "U/L"), "not_met", id="alt-without-p5p-code"),
        pytest.param(_lab(ALT, DAY, 2, "μkat/L"), "met", id="alt-greek-mu-ukat"),
        pytest.param(_lab(ALT, DAY, 2100, "nkat/L"), "not_met", id="alt-nkat-per-l"),
        pytest.param(_lab(ALT, DAY, 100, "[IU]/L"), "met", id="alt-ucum-iu"),
        pytest.param(None, "unknown", id="alt-missing"),
    ],
)
def test_inc_liver_alt_edges(scenario, lab, expected):
    status, evidence = _evaluate(scenario, {"alt"}, [lab] if lab else [])
    assert status == expected, evidence


@pytest.mark.parametrize(
    ("lab", "expected"),
    [
        pytest.param(_lab(BILI_MOLES, DAY, 42, "umol/L"), "met", id="bili-exactly-2x-default-21"),
        pytest.param(_lab(BILI_MOLES, DAY, 42.1, "umol/L"), "not_met", id="bili-just-above-2x-default"),
        pytest.param(
            _lab(BILI_MOLES, DAY, 34, "µmol/L", ref_high=17), "met", id="bili-exactly-2x-own-ref-high"
        ),
        pytest.param(
            _lab(BILI_MOLES, DAY, 34.1, "umol/L", ref_high=17),
            "not_met",
            id="bili-just-above-2x-own-ref-high",
        ),
        pytest.param(_lab(BILI_MASS, DAY, 2.4, "mg/dL"), "met", id="bili-2.4-mg-per-dl-is-41-umol-per-l"),
        pytest.param(
            _lab(BILI_MASS, DAY, 2.5, "mg/dL"), "not_met", id="bili-2.5-mg-per-dl-is-42.8-umol-per-l"
        ),
        pytest.param(
            _lab(BILI_MASS, DAY, 2.0, "mg/dL", ref_high=1.0),
            "met",
            id="bili-mg-per-dl-exactly-2x-own-ref-high",
        ),
        pytest.param(
            _lab(BILI_MASS, DAY, 2.01, "mg/dL", ref_high=1.0), "not_met", id="bili-mg-per-dl-just-above"
        ),
        pytest.param(_lab(BILI_BLOOD, DAY, 1.1, "mg/dL"), "met", id="bili-blood-code"),
        pytest.param(_lab(BILI_MASS, DAY, 1.1, None), "unknown", id="bili-without-unit-not-guessed"),
        pytest.param(_lab(BILI_MOLES, DAY, None, "umol/L", value_text="<3"), "met", id="bili-below-3"),
        pytest.param(None, "unknown", id="bili-missing"),
    ],
)
def test_inc_liver_bilirubin_edges(scenario, lab, expected):
    status, evidence = _evaluate(scenario, {"bili"}, [lab] if lab else [])
    assert status == expected, evidence


def test_inc_liver_all_three_within_limits_is_met(scenario):
    assert _evaluate(scenario, set(), [])[0] == "met"


def test_inc_liver_one_test_above_decides_even_when_another_is_missing(scenario):
    status, _ = _evaluate(scenario, {"ast", "bili"}, [_lab(AST, DAY, 500, "U/L")])
    assert status == "not_met"


def test_inc_liver_latest_result_decides_not_the_worst(scenario):
    labs = [_lab(ALT, "2026-09-01", 400, "U/L"), _lab(ALT, DAY, 35, "U/L")]
    assert _evaluate(scenario, {"alt"}, labs)[0] == "met"


def test_inc_liver_latest_abnormal_overrides_earlier_normal(scenario):
    labs = [_lab(ALT, "2026-09-01", 35, "U/L"), _lab(ALT, DAY, 400, "U/L")]
    assert _evaluate(scenario, {"alt"}, labs)[0] == "not_met"


def test_inc_liver_evidence_names_value_limit_and_uln_source(scenario):
    labs = [_lab(AST, DAY, 150, "U/L", ref_high=40), _lab(BILI_MASS, DAY, 1.0, "mg/dL")]
    status, evidence = _evaluate(scenario, {"ast", "bili"}, labs)
    assert status == "not_met"
    assert evidence == (
        "AST 150 U/L on 2026-11-01 > 3 x ULN 40 U/L (ref_high); "
        "ALT 30 U/L on 2026-11-01 <= 3 x ULN 40 U/L (default); "
        "total bilirubin 17.1 umol/L on 2026-11-01 <= 2 x ULN 21 umol/L (default)"
    )


def test_inc_liver_evidence_says_when_a_result_is_too_old(scenario):
    _, evidence = _evaluate(scenario, {"bili"}, [_lab(BILI_MOLES, "2026-01-03", 10, "umol/L")])
    assert (
        "no total bilirubin result within 90 days before 2026-11-26 (latest 2026-01-03, too old)" in evidence
    )


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param({}, "not_met", id="defaults"),
        pytest.param({"inc_liver.ast_alt_uln_multiple": 5}, "met", id="multiple-5"),
        pytest.param({"inc_liver.ast_uln_default": 50}, "met", id="default-uln-50"),
        pytest.param({"inc_liver.window_days": 30}, "unknown", id="window-30-days"),
    ],
)
def test_inc_liver_limits_and_window_are_parameters(scenario, overrides, expected):
    status, evidence = _evaluate(scenario, {"ast"}, [_lab(AST, "2026-10-01", 150, "U/L")], overrides)
    assert status == expected, evidence


def test_inc_liver_bilirubin_multiple_and_default_are_parameters(scenario):
    labs = [_lab(BILI_MOLES, DAY, 50, "umol/L")]
    assert _evaluate(scenario, {"bili"}, labs)[0] == "not_met"
    multiple = {"inc_liver.bilirubin_uln_multiple": 3}
    assert scenario.evaluate(overrides=multiple)["inc_liver"][0] == "met"
    default_uln = {"inc_liver.bilirubin_uln_default": 25}
    assert scenario.evaluate(overrides=default_uln)["inc_liver"][0] == "met"


@pytest.mark.parametrize(
    ("key", "lab"),
    [
        # 3 x 0.58 is 1.7399999999999998 in floating point, 3 x 34.8 is 104.39999999999999
        pytest.param("ast", _lab(AST, DAY, 1.74, "ukat/L", ref_high=0.58), id="ast-1.74-ukat-is-3x-0.58"),
        pytest.param("ast", _lab(AST, DAY, 99.9, "U/L", ref_high=33.3), id="ast-99.9-is-3x-33.3"),
        pytest.param("alt", _lab(ALT, DAY, 1.89, "µkat/L", ref_high=0.63), id="alt-1.89-ukat-is-3x-0.63"),
        pytest.param("alt", _lab(ALT, DAY, 110.1, "U/L", ref_high=36.7), id="alt-110.1-is-3x-36.7"),
    ],
)
def test_inc_liver_exactly_3x_a_decimal_uln_is_met_despite_floating_point(scenario, key, lab):
    # Inclusion 5.4: "AST and ALT <= 3.0 ULN" is inclusive, whatever the ULN's decimals.
    status, evidence = _evaluate(scenario, {key}, [lab])
    assert status == "met", evidence
    assert "> 3 x ULN" not in evidence
