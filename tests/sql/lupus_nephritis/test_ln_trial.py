"""lupus_nephritis as a folder: discovered beside cart_autoimmune, manual criteria, and one
staged warehouse evaluated for both trials."""

from pipelines.criteria.trials import discover_trials, load_trial
from pipelines.settings import SQL_DIR

TRIAL = "lupus_nephritis"


def test_both_trials_are_discovered_from_their_folders():
    assert {"cart_autoimmune", "lupus_nephritis"} <= set(discover_trials(SQL_DIR / "trials"))


def test_lupus_nephritis_folder_loads_with_its_stable_ids():
    trial = load_trial(SQL_DIR / "trials", TRIAL)
    assert [c.id for c in trial.criteria] == [
        "inc_age", "inc_consent", "inc_ln_diagnosis", "inc_biopsy", "inc_upcr", "inc_egfr", "inc_serology",
        "inc_induction", "exc_kidney_failure", "exc_b_cell_depletion", "exc_glucocorticoid_dose", "exc_viral",
        "exc_pregnancy", "exc_malignancy", "exc_other_trial",
    ]  # fmt: skip


def test_consent_biopsy_and_other_trial_are_manual(scenario):
    scenario.patient()
    results = scenario.evaluate(TRIAL)
    assert {c: results[c][0] for c in ("inc_consent", "inc_biopsy", "exc_other_trial")} == {
        "inc_consent": "manual",
        "inc_biopsy": "manual",
        "exc_other_trial": "manual",
    }
    assert "ISN/RPS class III or IV" in results["inc_biopsy"][1]


def _active_lupus_nephritis(scenario):
    scenario.patient(sex="F", birth_date="1990-03-15")
    scenario.diagnosis("M32.14", "2024-05-01")
    for code, value, unit, ref in (
        ("2890-2", 2.1, "g/g", {}),
        ("98979-8", 75, "mL/min/1.73m2", {}),
        ("5130-0", 120, "IU/mL", {"ref_high": 30}),
        ("4485-9", 0.6, "g/L", {"ref_low": 0.9}),
        ("4498-2", 0.08, "g/L", {"ref_low": 0.1}),
        ("29463-7", 65, "kg", {}),
    ):
        scenario.lab(code, "2026-11-06", value, unit, **ref)
    for code, text in (("5196-1", "Negative"), ("11011-4", "Not detected"), ("56888-1", "Non-reactive")):
        scenario.lab(code, "2026-11-01", None, None, value_text=text)
    scenario.lab("2106-3", "2026-11-06", None, None, value_text="Negative")
    scenario.medication("68149", "2026-10-27", dose_value=1, dose_unit="g", frequency="BID")
    scenario.medication("8640", "2026-10-27", dose_value=20)


def test_active_lupus_nephritis_patient_is_eligible(scenario):
    _active_lupus_nephritis(scenario)
    results = scenario.evaluate(TRIAL)
    computable = {c: s for c, (s, _) in results.items() if s != "manual"}
    assert computable == {
        "inc_age": "met", "inc_ln_diagnosis": "met", "inc_upcr": "met", "inc_egfr": "met",
        "inc_serology": "met", "inc_induction": "met", "exc_kidney_failure": "not_met",
        "exc_b_cell_depletion": "not_met", "exc_glucocorticoid_dose": "not_met", "exc_viral": "not_met",
        "exc_pregnancy": "not_met", "exc_malignancy": "not_met",
    }  # fmt: skip
    assert scenario.eligibility(TRIAL)[0] == "eligible"


def test_one_staged_warehouse_serves_both_trials(scenario):
    _active_lupus_nephritis(scenario)
    lupus = scenario.evaluate(TRIAL)
    cart = scenario.evaluate("cart_autoimmune")
    assert lupus["inc_ln_diagnosis"][0] == "met"
    assert cart["inc_diagnosis"][0] == "met"
    assert scenario.eligibility(TRIAL)[0] == "eligible"
    assert scenario.eligibility("cart_autoimmune")[0] != "eligible"  # no SLEDAI, ECOG, LVEF, ...
