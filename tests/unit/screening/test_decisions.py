"""Decisions feed eligibility: a criterion decision applies with its origin, lapses when the
data's evidence for that criterion changes (and only then), expires on its until date,
and states decide who is on the worklist (closed, deferred, deceased, re-review)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from pipelines.criteria import evaluate
from pipelines.exports import write
from pipelines.run import history as runs
from pipelines.screening import events
from pipelines.staging import build as staging
from tests import cohort_data

TRIAL = cohort_data.TRIAL_ID
AS_OF = cohort_data.AS_OF
ON = AS_OF


@pytest.fixture
def con(wh):
    cohort_data.build(wh)
    cohort_data.evaluate_mini(wh)
    return wh


def _record(con, patient: str, **fields) -> None:
    trial = cohort_data.mini_trial()
    events.record_one(
        con, trial, events.Event(TRIAL, patient, fields.pop("by", "jdoe"), fields.pop("on", ON), **fields)
    )


def _reevaluate(con, as_of: date = AS_OF) -> None:
    evaluate.evaluate_trial(con, cohort_data.mini_trial(), as_of)


def _criterion(con, patient: str, criterion: str) -> tuple:
    return con.execute(
        f"select status, status_source, evidence from {TRIAL}.criteria_results "
        "where patient_id = ? and criterion_id = ?",
        [patient, criterion],
    ).fetchone()


def _state(con, patient: str) -> tuple | None:
    return con.execute(
        f"select state, action, changed_since_decision from {TRIAL}.screening_patient_state "
        "where patient_id = ?",
        [patient],
    ).fetchone()


def _add_egfr(con, patient: str, value: float, when: str) -> None:
    con.execute(
        "insert into raw_labs values (?, 'LOINC', ?, ?, ?, null, 'mL/min/1.73m2', null, null, 9, 1)",
        [patient, cohort_data.EGFR, when, value],
    )
    staging.build_staging(con)


def test_a_decision_on_a_manual_criterion_applies_with_its_origin(con):
    patient = "SITE_A-eligible-00"
    _record(con, patient, criterion_id="inc_consent", decision="met", reason="signed")
    _reevaluate(con)
    assert _criterion(con, patient, "inc_consent") == (
        "met",
        "decision",
        "inc_consent met (by jdoe on 2026-11-26: signed)",
    )
    n_manual = con.execute(
        f"select n_manual from {TRIAL}.cohort_decisions where patient_id = ?", [patient]
    ).fetchone()[0]
    assert n_manual == 0


def test_a_not_met_decision_makes_the_patient_ineligible(con):
    patient = "SITE_A-eligible-01"
    _record(con, patient, criterion_id="inc_consent", decision="not_met", reason="chart_review")
    _reevaluate(con)
    status = con.execute(f"select status from {TRIAL}.cohort_decisions where patient_id = ?", [patient])
    assert status.fetchone()[0] == "ineligible"


@pytest.mark.parametrize(
    ("new_result", "applies"),
    [
        pytest.param(None, True, id="no-new-result-decision-holds"),
        pytest.param(("SITE_A-potential-01", 50.0), True, id="another-patients-result-decision-holds"),
        pytest.param(("SITE_A-potential-00", 50.0), False, id="own-new-result-decision-lapses"),
    ],
)
def test_a_decision_on_a_computed_criterion_lapses_iff_its_evidence_changes(con, new_result, applies):
    patient = "SITE_A-potential-00"  # inc_renal unknown: no eGFR
    _record(con, patient, state="reviewed")
    _record(con, patient, criterion_id="inc_renal", decision="met", reason="outside_record")
    if new_result is not None:
        _add_egfr(con, new_result[0], new_result[1], "2026-11-20")
    _reevaluate(con)
    status, source, evidence = _criterion(con, patient, "inc_renal")
    state, action, changed = _state(con, patient)
    if applies:
        assert (status, source) == ("met", "decision")
        assert evidence.startswith("inc_renal met (by jdoe on 2026-11-26: outside_record); data: no eGFR")
        assert (state, action, changed) == ("reviewed", "follow_up", None)
    else:
        assert (status, source) == ("met", "data")  # the new eGFR 50 meets it
        assert (
            "[decision met (by jdoe on 2026-11-26: outside_record) lapsed: the evidence changed]" in evidence
        )
        assert action == "re_review"
        assert "inc_renal: unknown -> met" in changed and "lapsed (the evidence changed)" in changed


def test_a_new_state_seen_with_the_new_evidence_clears_the_re_review(con):
    patient = "SITE_A-potential-00"
    _record(con, patient, criterion_id="inc_renal", decision="met", reason="outside_record")
    _add_egfr(con, patient, 50.0, "2026-11-20")
    _reevaluate(con)
    assert _state(con, patient)[1] == "re_review"
    _record(con, patient, state="reviewed")
    _reevaluate(con)
    assert _state(con, patient)[1:] == ("follow_up", None)


def test_a_decision_expires_on_its_until_date_and_is_not_applied_before_it_was_taken(con):
    patient = "SITE_A-eligible-02"
    _record(
        con, patient, criterion_id="inc_consent", decision="met", reason="signed", until=AS_OF + timedelta(3)
    )
    _reevaluate(con, AS_OF + timedelta(2))
    assert _criterion(con, patient, "inc_consent")[:2] == ("met", "decision")
    _reevaluate(con, AS_OF + timedelta(3))
    assert _criterion(con, patient, "inc_consent")[:2] == ("manual", "data")
    _reevaluate(con, AS_OF - timedelta(1))  # a past as-of date: the decision was not taken yet
    assert _criterion(con, patient, "inc_consent")[:2] == ("manual", "data")


@pytest.mark.parametrize(
    ("states", "as_of", "expected"),
    [
        pytest.param([], AS_OF, ("to_review", "review"), id="never-reviewed-candidate"),
        pytest.param([("reviewed", None, None)], AS_OF, ("reviewed", "follow_up"), id="open-state"),
        pytest.param(
            [("screen_failed", "lab_out_of_range", None)], AS_OF, ("screen_failed", None),
            id="closed-state-hidden",
        ),
        pytest.param(
            [("deferred", "patient_request", AS_OF + timedelta(7))], AS_OF + timedelta(6), ("deferred", None),
            id="deferred-before-its-date",
        ),
        pytest.param(
            [("deferred", "patient_request", AS_OF + timedelta(7))], AS_OF + timedelta(7),
            ("deferred", "deferred_returning"), id="deferred-on-its-date",
        ),
    ],
)  # fmt: skip
def test_the_state_decides_who_is_on_the_worklist(con, states, as_of, expected):
    patient = "SITE_B-eligible-00"
    for state, reason, until in states:
        _record(con, patient, state=state, reason=reason, until=until)
    _reevaluate(con, as_of)
    assert _state(con, patient)[:2] == expected


def test_death_closes_an_open_state(con):
    patient = "SITE_B-eligible-01"
    _record(con, patient, state="contacted")
    con.execute("update raw_patients set death_date = '2026-11-20' where patient_id = ?", [patient])
    staging.build_staging(con)
    _reevaluate(con)
    assert _state(con, patient)[:2] == ("deceased", None)
    log = dict(
        con.execute(
            f"select measure || '.' || reason, patients from {TRIAL}.screening_log where site_id = 'all'"
        ).fetchall()
    )
    assert log["deceased.after_contact"] == 1


def test_a_closed_patient_returns_when_a_computed_status_changes(con):
    patient = "SITE_A-potential-02"  # potential: inc_renal unknown
    _record(con, patient, state="screen_failed", reason="lab_out_of_range")
    _add_egfr(con, patient, 70.0, "2026-11-25")
    _reevaluate(con)
    state, action, changed = _state(con, patient)
    assert (state, action) == ("screen_failed", "re_review")
    assert changed == "since 2026-11-26: inc_renal: unknown -> met"


def _log(con) -> dict[str, int]:
    return dict(
        con.execute(
            f"select measure || coalesce('.' || nullif(reason, ''), ''), patients "
            f"from {TRIAL}.screening_log where site_id = 'all'"
        ).fetchall()
    )


def test_a_patient_once_identified_stays_identified_when_no_longer_a_candidate(con, tmp_path):
    """The screening log counts every patient a run listed (CONSORT: identified is
    cumulative); one never reviewed who dropped out of the list since is
    no_longer_candidate, not lost, and is not on the worklist."""
    trial = cohort_data.mini_trial()
    runs.start_run(con, "R1", [trial.id], AS_OF, tmp_path)
    write.record_statuses(con, trial, "R1")
    runs.finish_run(con, "R1", "succeeded")
    night_1 = _log(con)
    patient = "SITE_B-eligible-00"
    _add_egfr(con, patient, 5.0, "2026-11-25")  # inc_renal now fails: ineligible
    _reevaluate(con, AS_OF + timedelta(1))
    night_2 = _log(con)
    assert night_2["identified"] == night_1["identified"]
    assert night_2["no_longer_candidate"] == night_1["no_longer_candidate"] + 1
    assert night_2["not_reviewed"] == night_1["not_reviewed"] - 1
    assert _state(con, patient) == ("to_review", None, None)
    # a run as of an earlier date than night 1 does not count night 1's candidates
    _reevaluate(con, AS_OF - timedelta(1))
    assert patient not in {
        r[0] for r in con.execute(f"select patient_id from {TRIAL}.screening_patient_state").fetchall()
    }
