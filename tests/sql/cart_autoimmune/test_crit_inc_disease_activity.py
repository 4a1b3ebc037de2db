"""inc_disease_activity: each disease of the patient by its own rule; scores latest within
90 days. As-of date 2026-11-26."""

import pytest

SLE, SJOGREN, SSC, DM, AAV = "M32.14", "M35.00", "M34.0", "M33.10", "M31.31"
PR3, MPO, C_ANCA, P_ANCA, ANCA_SCREEN, ANA = "6968-2", "6969-0", "14277-8", "14278-6", "21023-7", "8061-4"


def _score(scenario, code, value, date="2026-11-01", unit=None, **kwargs):
    scenario.lab(code, date, value, unit, code_system="SCORE", **kwargs)


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        pytest.param(("SLEDAI2K", 8, "2026-11-01", None), "met", id="sledai-exactly-8"),
        pytest.param(("SLEDAI2K", 7, "2026-11-01", None), "not_met", id="sledai-7"),
        pytest.param(("sledai2k", 12, "2026-11-01", None), "met", id="code-lower-case"),
        pytest.param(("SLEDAI2K", 12, "2026-11-01", "score"), "met", id="unit-score"),
        pytest.param(("SLEDAI2K", 12, "2026-11-01", "{score}"), "met", id="unit-ucum-annotation"),
        pytest.param(("SLEDAI2K", 12, "2026-11-01", "points"), "met", id="unit-points"),
        pytest.param(("SLEDAI2K", 12, "2026-11-01", "furlongs"), "unknown", id="unknown-unit-not-compared"),
        pytest.param(("SLEDAI2K", 12, "2026-08-28", None), "met", id="exactly-90-days-old"),
        pytest.param(("SLEDAI2K", 12, "2026-08-27", None), "unknown", id="91-days-old-too-old"),
        pytest.param(("SLEDAI2K", 12, "2026-11-27", None), "unknown", id="after-as-of-ignored"),
        pytest.param(None, "unknown", id="no-score"),
    ],
)
def test_inc_disease_activity_sle_edges(scenario, score, expected):
    scenario.patient().diagnosis(SLE, "2020-01-01")
    if score:
        _score(scenario, score[0], score[1], score[2], score[3])
    status, evidence = scenario.evaluate()["inc_disease_activity"]
    assert status == expected, evidence


def test_inc_disease_activity_score_as_text_and_lower_case_code_system(scenario):
    scenario.patient().diagnosis(SLE, "2020-01-01")
    scenario.lab("SLEDAI2K", "2026-11-01", None, None, code_system="score", value_text="10")
    assert scenario.evaluate()["inc_disease_activity"][0] == "met"


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        pytest.param(10, 6, "not_met", id="later-low-score-overrides-earlier-high"),
        pytest.param(6, 10, "met", id="later-high-score-overrides-earlier-low"),
    ],
)
def test_inc_disease_activity_latest_score_decides(scenario, first, second, expected):
    scenario.patient().diagnosis(SLE, "2020-01-01")
    _score(scenario, "SLEDAI2K", first, "2026-09-01")
    _score(scenario, "SLEDAI2K", second, "2026-11-01")
    assert scenario.evaluate()["inc_disease_activity"][0] == expected


@pytest.mark.parametrize(
    ("essdai", "expected"),
    [
        pytest.param(14, "met", id="essdai-exactly-14"),
        pytest.param(13, "not_met", id="essdai-13"),
        pytest.param(None, "unknown", id="essdai-missing"),
    ],
)
def test_inc_disease_activity_sjogren(scenario, essdai, expected):
    scenario.patient().diagnosis(SJOGREN, "2020-01-01")
    if essdai is not None:
        _score(scenario, "ESSDAI", essdai)
    assert scenario.evaluate()["inc_disease_activity"][0] == expected


@pytest.mark.parametrize(
    ("mrss", "ild", "expected"),
    [
        pytest.param(10, "J84.10", "met", id="mrss-10-inclusive"),
        pytest.param(35, "J84.10", "met", id="mrss-35-inclusive"),
        pytest.param(9, "J84.10", "not_met", id="mrss-9-below"),
        pytest.param(36, "J84.10", "not_met", id="mrss-36-above"),
        pytest.param(20, None, "not_met", id="valid-mrss-without-ild"),
        pytest.param(20, "j8489", "met", id="ild-code-without-dot-lower-case"),
        pytest.param(20, "J84.112", "met", id="ild-ipf"),
        pytest.param(20, "J84.178", "met", id="ild-in-disease-classified-elsewhere"),
        pytest.param(20, "M34.81", "met", id="ssc-with-lung-involvement-counts-as-ild"),
        pytest.param(20, "J84.2", "not_met", id="lymphoid-interstitial-pneumonia-not-in-value-set"),
        pytest.param(None, "J84.9", "unknown", id="ild-but-no-mrss"),
        pytest.param(None, None, "not_met", id="no-mrss-and-no-ild"),
    ],
)
def test_inc_disease_activity_ssc(scenario, mrss, ild, expected):
    scenario.patient().diagnosis(SSC, "2020-01-01")
    if ild:
        scenario.diagnosis(ild, "2022-05-01")
    if mrss is not None:
        _score(scenario, "MRSS", mrss)
    status, evidence = scenario.evaluate()["inc_disease_activity"]
    assert status == expected, evidence


def test_inc_disease_activity_ssc_ignores_ild_recorded_after_as_of(scenario):
    scenario.patient().diagnosis(SSC, "2020-01-01").diagnosis("J84.10", "2026-11-27")
    _score(scenario, "MRSS", 20)
    assert scenario.evaluate()["inc_disease_activity"][0] == "not_met"


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        pytest.param(["2025-11-26"], "met", id="diagnosed-exactly-1-year-before"),
        pytest.param(["2025-11-27"], "not_met", id="diagnosed-1-year-minus-1-day"),
        pytest.param(["2026-06-01", "2024-03-01"], "met", id="first-of-several-records-decides"),
        pytest.param(["2026-11-27"], "not_met", id="diagnosis-after-as-of-is-no-disease"),
    ],
)
def test_inc_disease_activity_dm_diagnosed_for_one_year(scenario, dates, expected):
    scenario.patient()
    for date in dates:
        scenario.diagnosis(DM, date)
    status, evidence = scenario.evaluate()["inc_disease_activity"]
    assert status == expected, evidence


@pytest.mark.parametrize(
    ("bvas", "anca", "expected"),
    [
        pytest.param(15, (PR3, None, "Positive", None, None), "met", id="bvas-15-pr3-positive"),
        pytest.param(14, (PR3, None, "Positive", None, None), "not_met", id="bvas-14"),
        pytest.param(15, None, "unknown", id="anca-missing"),
        pytest.param(15, (ANA, None, "Positive", None, None), "unknown", id="ana-is-not-anca"),
        pytest.param(15, (MPO, 5, None, "U/mL", 3.5), "met", id="mpo-above-ref-high"),
        pytest.param(15, (MPO, 3.5, None, "U/mL", 3.5), "not_met", id="mpo-equal-to-ref-high-negative"),
        pytest.param(15, (PR3, 45, None, "IU/mL", 20), "met", id="pr3-iu-per-ml-above-ref-high"),
        pytest.param(15, (PR3, None, "<0.2", "U/mL", 3.5), "not_met", id="pr3-below-comparator"),
        pytest.param(15, (MPO, 5, None, "U/mL", None), "unknown", id="mpo-value-without-ref-range"),
        pytest.param(15, (MPO, 5, None, None, 3.5), "unknown", id="mpo-value-without-unit"),
        pytest.param(15, (C_ANCA, None, "Positive", None, None), "met", id="c-anca-titer-positive"),
        pytest.param(15, (P_ANCA, None, "Detected", None, None), "met", id="p-anca-titer-detected"),
        pytest.param(15, (ANCA_SCREEN, None, "Negative", None, None), "not_met", id="anca-screen-negative"),
        pytest.param(15, (PR3, None, "Equivocal", None, None), "unknown", id="anca-indeterminate"),
        pytest.param(None, (PR3, None, "Negative", None, None), "not_met", id="no-bvas-but-anca-negative"),
        pytest.param(None, (PR3, None, "Positive", None, None), "unknown", id="no-bvas-anca-positive"),
    ],
)
def test_inc_disease_activity_aav(scenario, bvas, anca, expected):
    scenario.patient().diagnosis(AAV, "2020-01-01")
    if bvas is not None:
        _score(scenario, "BVAS", bvas)
    if anca:
        code, value, text, unit, ref_high = anca
        scenario.lab(code, "2026-06-01", value, unit, value_text=text, ref_high=ref_high)
    status, evidence = scenario.evaluate()["inc_disease_activity"]
    assert status == expected, evidence


@pytest.mark.parametrize(
    ("anca", "expected"),
    [
        pytest.param(
            [(PR3, "2025-01-01", "Positive"), (PR3, "2026-06-01", "Negative")], "not_met", id="later-negative"
        ),
        pytest.param(
            [(PR3, "2025-01-01", "Negative"), (PR3, "2026-06-01", "Positive")], "met", id="later-positive"
        ),
        pytest.param(
            [(PR3, "2026-06-01", "Negative"), (MPO, "2025-01-01", "Positive")],
            "met",
            id="one-measure-positive",
        ),
        pytest.param([(PR3, "2026-11-27", "Positive")], "unknown", id="anca-after-as-of-ignored"),
        pytest.param([(PR3, "2010-01-01", "Positive")], "met", id="old-anca-still-counts"),
    ],
)
def test_inc_disease_activity_anca_latest_per_measure(scenario, anca, expected):
    scenario.patient().diagnosis(AAV, "2020-01-01")
    _score(scenario, "BVAS", 20)
    for code, date, text in anca:
        scenario.lab(code, date, value_text=text)
    assert scenario.evaluate()["inc_disease_activity"][0] == expected


@pytest.mark.parametrize(
    ("sledai", "mrss", "expected"),
    [
        pytest.param(10, 5, "met", id="one-disease-met-is-enough"),
        pytest.param(None, 5, "unknown", id="one-unknown-one-not-met"),
        pytest.param(4, 5, "not_met", id="every-disease-not-met"),
    ],
)
def test_inc_disease_activity_any_disease_decides(scenario, sledai, mrss, expected):
    scenario.patient().diagnosis(SLE, "2020-01-01").diagnosis(SSC, "2020-01-01").diagnosis(
        "J84.9", "2021-01-01"
    )
    if sledai is not None:
        _score(scenario, "SLEDAI2K", sledai)
    _score(scenario, "MRSS", mrss)
    status, evidence = scenario.evaluate()["inc_disease_activity"]
    assert status == expected, evidence
    assert "SLE: " in evidence and "SSC: " in evidence


def test_inc_disease_activity_without_trial_disease_is_not_met(scenario):
    scenario.patient()
    _score(scenario, "SLEDAI2K", 20)
    status, evidence = scenario.evaluate()["inc_disease_activity"]
    assert status == "not_met"
    assert evidence == "no diagnosis of a trial disease: no activity rule applies"


def test_inc_disease_activity_evidence_names_record_value_and_date(scenario):
    scenario.patient().diagnosis(AAV, "2020-01-01").lab(PR3, "2026-06-01", 45, "IU/mL", ref_high=20)
    _score(scenario, "BVAS", 18, "2026-11-01")
    _, evidence = scenario.evaluate()["inc_disease_activity"]
    assert evidence == (
        "AAV: BVAS 18 score on 2026-11-01 vs >= 15; ANCA: PR3-ANCA 45 IU/mL > ULN 20 on 2026-06-01 (met)"
    )


def test_inc_disease_activity_evidence_says_when_a_score_is_too_old(scenario):
    scenario.patient().diagnosis(SLE, "2020-01-01")
    _score(scenario, "SLEDAI2K", 12, "2026-01-03")
    _, evidence = scenario.evaluate()["inc_disease_activity"]
    assert "no SLEDAI-2K result within 90 days before 2026-11-26 (latest 2026-01-03, too old)" in evidence


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param({"inc_disease_activity.sledai_min": 6}, "met", id="sledai-min-6"),
        pytest.param({"inc_disease_activity.window_days": 30}, "unknown", id="window-30-days"),
    ],
)
def test_inc_disease_activity_thresholds_are_parameters(scenario, overrides, expected):
    scenario.patient().diagnosis(SLE, "2020-01-01")
    _score(scenario, "SLEDAI2K", 6, "2026-10-01")
    assert scenario.evaluate(overrides=overrides)["inc_disease_activity"][0] == expected


@pytest.mark.parametrize(
    ("diagnosis", "code", "value"),
    [
        pytest.param(SJOGREN, "ESSDAI", 14, id="essdai"),
        pytest.param(AAV, "BVAS", 15, id="bvas"),
        pytest.param(SSC, "MRSS", 20, id="mrss"),
    ],
)
def test_inc_disease_activity_reads_scores_reported_in_points(scenario, diagnosis, code, value):
    scenario.patient().diagnosis(diagnosis, "2020-01-01")
    _score(scenario, code, value, unit="Points")
    _status, evidence = scenario.evaluate()["inc_disease_activity"]
    assert f"{code if code != 'MRSS' else 'mRSS'} {value} score" in evidence, evidence
