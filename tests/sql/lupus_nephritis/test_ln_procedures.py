"""lupus_nephritis reads procedures (extract contract v2): chronic dialysis services and a
kidney transplant exclude (exc_kidney_failure); a kidney biopsy within 6 months is named
in inc_biopsy's evidence, which stays manual. As-of date 2026-11-26."""

import pytest

NO_BIOPSY = (
    "to review at screening: kidney biopsy within 6 months before 2026-11-26 showing ISN/RPS "
    "class III or IV (with or without V)"
)


@pytest.mark.parametrize(
    ("code_system", "code", "date", "expected", "listed"),
    [
        pytest.param("CPT4", "90960", "2026-10-01", "met", "CPT4 90960 on 2026-10-01 (dialysis)",
                     id="esrd-monthly-dialysis-services"),
        pytest.param("CPT4", "90970", "2026-10-01", "met", "CPT4 90970 on 2026-10-01 (dialysis)",
                     id="esrd-dialysis-per-day"),
        pytest.param("ICD10PCS", "0TY10Z0", "2018-03-01", "met",
                     "ICD10PCS 0TY10Z0 on 2018-03-01 (kidney transplant)", id="pcs-kidney-transplant"),
        pytest.param("SNOMEDCT", "70536003", "2018-03-01", "met",
                     "SNOMEDCT 70536003 on 2018-03-01 (kidney transplant)", id="snomed-transplant-of-kidney"),
        pytest.param("CPT4", "90935", "2026-10-01", "unknown", None,
                     id="single-hemodialysis-session-is-not-chronic-dialysis"),
        pytest.param("CPT4", "90960", "2026-11-27", "unknown", None, id="after-as-of-ignored"),
    ],
)  # fmt: skip
def test_exc_kidney_failure_reads_dialysis_and_transplant_procedures(
    scenario, code_system, code, date, expected, listed
):
    scenario.patient().procedure(code, date, code_system=code_system)
    status, evidence = scenario.evaluate("lupus_nephritis")["exc_kidney_failure"]
    assert status == expected, evidence
    if listed:
        assert evidence.startswith(listed + "; "), evidence
    else:
        assert evidence.endswith("no dialysis or kidney transplant recorded"), evidence


@pytest.mark.parametrize(
    ("code_system", "code", "date", "named"),
    [
        pytest.param("CPT4", "50200", "2026-09-01", True, id="percutaneous-biopsy-3-months-ago"),
        pytest.param("ICD10PCS", "0TB13ZX", "2026-05-26", True, id="exactly-6-months-ago"),
        pytest.param("SNOMEDCT", "7246002", "2026-05-25", False, id="6-months-and-a-day-ago"),
        pytest.param("CPT4", "50200", "2026-11-27", False, id="after-as-of"),
        pytest.param("CPT4", "50360", "2026-09-01", False, id="transplant-is-no-biopsy"),
    ],
)
def test_inc_biopsy_names_a_recent_kidney_biopsy_and_stays_manual(scenario, code_system, code, date, named):
    scenario.patient().procedure(code, date, code_system=code_system)
    status, evidence = scenario.evaluate("lupus_nephritis")["inc_biopsy"]
    assert status == "manual"
    if named:
        assert (
            evidence
            == f"{NO_BIOPSY}; kidney biopsy recorded: {code_system} {code} on {date} (review its report)"
        )
    else:
        assert evidence == NO_BIOPSY


def test_inc_biopsy_without_procedures_reads_as_before(scenario):
    scenario.patient()
    assert scenario.evaluate("lupus_nephritis")["inc_biopsy"] == ("manual", NO_BIOPSY)
