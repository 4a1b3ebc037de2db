"""lupus_nephritis exc_viral: HBsAg positive, HCV RNA detectable or HIV positive. met = excluded."""

import pytest

TRIAL = "lupus_nephritis"
HBSAG, HCV_RNA, HCV_RNA_QL, HIV = "5196-1", "11011-4", "11259-9", "56888-1"
NEG = {HBSAG: "Negative", HCV_RNA: "Not detected", HIV: "Non-reactive"}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({}, "not_met", id="all-three-negative"),
        pytest.param({HBSAG: "Positive"}, "met", id="hbsag-positive"),
        pytest.param({HIV: "Reactive"}, "met", id="hiv-reactive"),
        pytest.param({HCV_RNA: "Detected"}, "met", id="hcv-rna-detected"),
        pytest.param({HCV_RNA: (1500, "IU/mL")}, "met", id="hcv-rna-quantified"),
        pytest.param({HCV_RNA: (2000, "copies")}, "met", id="hcv-rna-quantified-in-an-unknown-unit"),
        pytest.param({HCV_RNA: "<15"}, "not_met", id="hcv-rna-below-quantification"),
        pytest.param({HCV_RNA: (0, "IU/mL")}, "not_met", id="hcv-rna-zero"),
        pytest.param({HCV_RNA: ">100000000"}, "met", id="hcv-rna-above-quantification-is-detectable"),
        pytest.param({HCV_RNA: ">=100000000"}, "met", id="hcv-rna-at-or-above-quantification"),
        pytest.param({HBSAG: "Indeterminate"}, "unknown", id="hbsag-indeterminate"),
        pytest.param({HIV: None}, "unknown", id="no-hiv-test"),
        pytest.param({HIV: None, HBSAG: "Positive"}, "met", id="one-positive-decides-despite-a-missing-test"),
    ],
)
def test_ln_exc_viral_edges(scenario, changes, expected):
    scenario.patient()
    for code, result in {**NEG, **changes}.items():
        if isinstance(result, tuple):
            scenario.lab(code, "2026-10-01", result[0], result[1])
        elif result is not None:
            scenario.lab(code, "2026-10-01", None, "IU/mL" if code == HCV_RNA else None, value_text=result)
    status, evidence = scenario.evaluate(TRIAL)["exc_viral"]
    assert status == expected, evidence


def test_ln_exc_viral_latest_result_decides(scenario):
    scenario.patient().lab(HCV_RNA_QL, "2020-01-01", None, None, value_text="Detected")
    for code, text in NEG.items():
        scenario.lab(code, "2026-10-01", None, None, value_text=text)
    status, evidence = scenario.evaluate(TRIAL)["exc_viral"]
    assert status == "not_met", evidence


def test_ln_exc_viral_windows_are_parameters(scenario):
    scenario.patient()
    for code, text in NEG.items():
        scenario.lab(code, "2025-01-01", None, None, value_text=text)
    overrides = {"exc_viral.hcv_rna_window_days": 365}
    status, evidence = scenario.evaluate(TRIAL, overrides=overrides)["exc_viral"]
    assert status == "unknown"
    assert "no HCV RNA result within 365 days before 2026-11-26 (latest 2025-01-01, too old)" in evidence


@pytest.mark.parametrize(
    ("code", "earlier", "expected"),
    [
        pytest.param(HBSAG, "Negative", "not_met", id="hbsag-negative-then-bare-index"),
        pytest.param(HIV, "Reactive", "met", id="hiv-reactive-then-bare-index"),
    ],
)
def test_ln_exc_viral_bare_index_on_a_screen_does_not_hide_the_earlier_reading(
    scenario, code, earlier, expected
):
    # a later HBsAg or HIV row with only an S/CO index (no interpretation) is not a reading
    # of the screen, as in cart_autoimmune exc_viral: the latest qualitative result decides
    scenario.patient()
    for test, text in {**NEG, code: earlier}.items():
        scenario.lab(test, "2026-01-01", None, None, value_text=text)
    scenario.lab(code, "2026-10-01", 0.3, "S/CO")
    status, evidence = scenario.evaluate(TRIAL)["exc_viral"]
    assert status == expected, evidence
    assert "S/CO" not in evidence
