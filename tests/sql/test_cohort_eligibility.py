"""Eligibility status rules of the design, including the deceased rule."""

FULL = [
    ("718-7", "2026-11-01", 120, "g/L"),
    ("777-3", "2026-11-01", 200, "10^9/L"),
    ("98979-8", "2026-11-01", 80, "mL/min/1.73m2"),
    ("89247-1", "2026-11-01", 1, None),  # ECOG
    ("10230-1", "2026-11-01", 60, "%"),  # LVEF
    ("1920-8", "2026-11-01", 30, "U/L"),  # AST
    ("1742-6", "2026-11-01", 30, "U/L"),  # ALT
    ("14631-6", "2026-11-01", 10, "umol/L"),  # total bilirubin
    ("98130-8", "2026-11-01", 80, "%"),  # DLCO % predicted
    ("19872-1", "2026-11-01", 90, "%"),  # FVC % predicted
]


def _passing(scenario, **patient):
    scenario.patient(**patient).diagnosis("M32.14", "2020-01-01")
    for lab in FULL:
        scenario.lab(*lab)
    scenario.lab("SLEDAI2K", "2026-11-01", 10, None, code_system="SCORE")  # disease activity
    scenario.medication("8640", "2026-10-01", dose_value=20)  # refractory: prednisone 20 mg/day
    return scenario


def test_dead_patient_is_ineligible_whatever_the_criteria(scenario):
    _passing(scenario, death_date="2026-11-26").evaluate()
    status, reason, _ = scenario.eligibility()
    assert (status, reason) == ("ineligible", "deceased")


def test_death_after_as_of_does_not_count(scenario):
    _passing(scenario, death_date="2026-11-27").evaluate()
    assert scenario.eligibility()[0] != "ineligible"


def test_unknown_exclusion_does_not_block_eligible(scenario):
    _passing(scenario, sex="F").evaluate()  # no pregnancy test: exc_pregnancy unknown
    assert scenario.eligibility()[0] == "eligible"


def test_unknown_inclusion_gives_potential(scenario):
    scenario.patient().diagnosis("M32.14", "2020-01-01").medication("8640", "2026-10-01", dose_value=20)
    scenario.evaluate()
    assert scenario.eligibility()[0] == "potential"


def test_failed_inclusion_gives_ineligible_with_reason(scenario):
    scenario.patient().evaluate()
    status, reason, _ = scenario.eligibility()
    assert status == "ineligible"
    assert "inc_diagnosis" in reason
