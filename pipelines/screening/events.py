"""The append-only store of screening events: validate, record, read a patient's history.

An event is a patient's screening state (`states.py`) or a coordinator's decision on one
criterion (met / not_met, with a reason). Events are only ever inserted into the
warehouse table `screening_events` (`sql/warehouse/screening.sql`); a correction is a new
event. Each is checked against the trial's last evaluation in the warehouse (the patient
must be in it) and records the data's view of the patient's criteria at that moment: each
criterion's computed status and evidence fingerprint (`criteria_snapshot`), so that a
later evaluation can tell what changed since. Only ids, codes, dates and the short note
are stored; nothing here logs a note.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date

import duckdb

from pipelines.criteria.trials import Trial
from pipelines.errors import CohortscanError, NotFound, ParameterError
from pipelines.screening import states
from pipelines.warehouse.connect import ident, scalar

NAME_MAX = 64


@dataclass(frozen=True)
class Event:
    """One screening event as given (by the command line or a row of an imported file)."""

    trial_id: str
    patient_id: str
    decided_by: str
    decided_on: date
    state: str | None = None
    criterion_id: str | None = None
    decision: str | None = None
    reason: str | None = None
    until: date | None = None
    note: str | None = None
    source: str = "cli"
    source_file: str | None = None
    source_line: int | None = None
    row_key: str | None = None
    extra: dict = field(default_factory=dict, compare=False)


def check_shape(event: Event, today: date | None = None) -> None:
    """Checks that need no warehouse: who, when, note, state or criterion decision,
    reason and until date (ParameterError naming the bad value and the valid ones)."""
    today = today or date.today()
    if not event.decided_by.strip() or len(event.decided_by) > NAME_MAX or "\n" in event.decided_by:
        raise ParameterError(f"--by must name who decided (1 to {NAME_MAX} characters on one line)")
    if event.decided_on > today:
        raise ParameterError(
            f"decision date {event.decided_on} is in the future (expected a date on or before {today})"
        )
    if event.note is not None and len(event.note) > states.NOTE_MAX:
        raise ParameterError(
            f"the note is {len(event.note)} characters long (expected at most {states.NOTE_MAX})"
        )
    if (event.state is None) == (event.criterion_id is None):
        raise ParameterError("give either a state or a criterion decision (not both, not neither)")
    if event.state is not None:
        state = states.check_state(event.state)
        states.check_reason(event.reason, state.reason_list, f"state {state.name}")
        if state.needs_until and event.until is None:
            raise ParameterError(f"state {state.name} needs an until date (the day the patient returns)")
        if not state.needs_until and event.until is not None:
            raise ParameterError(f"state {state.name} takes no until date")
    else:
        if event.decision not in states.DECISIONS:
            raise ParameterError(
                f"decision {event.decision!r} is not a criterion decision (expected met or not_met)"
            )
        states.check_reason(event.reason, states.CRITERION_REASONS, "criterion decision")
    if event.until is not None and event.until <= event.decided_on:
        raise ParameterError(f"until {event.until} is not after the decision date {event.decided_on}")


def evaluated_as_of(con: duckdb.DuckDBPyConnection, trial: Trial) -> date:
    """The as-of date of the trial's last evaluation; NotFound when there is none (or it
    predates screening: no computed_status column)."""
    schema = ident(trial.id)
    with suppress(duckdb.Error):
        con.execute(f"select computed_status from {schema}.criteria_results limit 0")
        return scalar(con, f"select as_of from {schema}.run_context")
    raise NotFound(f"trial {trial.id!r} has no evaluation in this warehouse; run `cohortscan scan` first")


def check_patient(con: duckdb.DuckDBPyConnection, trial: Trial, patient_id: str) -> None:
    """NotFound unless the patient is in the trial's last evaluation."""
    schema = ident(trial.id)
    if not scalar(con, f"select count(*) from {schema}.cohort_decisions where patient_id = ?", [patient_id]):
        patients = scalar(con, f"select count(*) from {schema}.cohort_decisions")
        raise NotFound(
            f"patient {patient_id!r} is not in {trial.id}'s last evaluation "
            f"({patients} patients, as of {evaluated_as_of(con, trial)})"
        )


def current_state(con: duckdb.DuckDBPyConnection, trial_id: str, patient_id: str) -> str | None:
    """The patient's latest recorded state in the trial (any date), or None."""
    return scalar(
        con,
        "select state from screening_events where trial_id = ? and patient_id = ? and state is not null "
        "order by decided_on desc, event_id desc limit 1",
        [trial_id, patient_id],
    )


def record(con: duckdb.DuckDBPyConnection, trial: Trial, event: Event, today: date | None = None) -> int:
    """Validate one event against the warehouse and append it; return its event_id.
    The caller owns the transaction (an import records all its rows in one)."""
    check_shape(event, today)
    if event.trial_id != trial.id:
        raise ParameterError(f"event for trial {event.trial_id!r} given to trial {trial.id!r}")
    as_of = evaluated_as_of(con, trial)
    check_patient(con, trial, event.patient_id)
    if event.state is not None:
        states.check_transition(
            current_state(con, trial.id, event.patient_id), states.check_state(event.state)
        )
    elif event.criterion_id not in {c.id for c in trial.criteria}:
        raise ParameterError(
            f"criterion {event.criterion_id!r} is not a criterion of {trial.id} "
            f"(expected one of {', '.join(c.id for c in trial.criteria)})"
        )
    snapshot = con.execute(
        f"select criterion_id, computed_status, coalesce(evidence_fingerprint, "
        f"evidence_fingerprint(status, evidence, evidence_date, cast(? as date))) "
        f"from {ident(trial.id)}.criteria_results where patient_id = ? order by criterion_id",
        [as_of, event.patient_id],
    ).fetchall()
    mine = next((row for row in snapshot if row[0] == event.criterion_id), (None, None, None))
    return scalar(
        con,
        """
        insert into screening_events (
            trial_id, patient_id, criterion_id, state, decision, reason, note, decided_by,
            decided_on, valid_until, source, source_file, source_line, row_key, computed_status,
            evidence_fingerprint, criteria_snapshot
        )
        values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        returning event_id
        """,
        [
            event.trial_id,
            event.patient_id,
            event.criterion_id,
            event.state,
            event.decision,
            event.reason,
            event.note,
            event.decided_by.strip(),
            event.decided_on,
            event.until,
            event.source,
            event.source_file,
            event.source_line,
            event.row_key,
            mine[1],
            mine[2],
            [{"criterion_id": c, "status": s, "fingerprint": f} for c, s, f in snapshot],
        ],
    )


def record_one(con: duckdb.DuckDBPyConnection, trial: Trial, event: Event) -> int:
    """`record` in a transaction of its own."""
    con.execute("begin transaction")
    try:
        event_id = record(con, trial, event)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return event_id


HISTORY_COLUMNS = (
    "event_id",
    "decided_on",
    "decided_by",
    "state",
    "criterion_id",
    "decision",
    "reason",
    "valid_until",
    "note",
    "source",
    "source_file",
    "source_line",
    "recorded_at",
)


def history(con: duckdb.DuckDBPyConnection, trial_id: str, patient_id: str) -> list[dict]:
    """Every event of the patient in the trial, oldest first."""
    rows = con.execute(
        f"select {', '.join(HISTORY_COLUMNS)} from screening_events "
        "where trial_id = ? and patient_id = ? order by decided_on, event_id",
        [trial_id, patient_id],
    ).fetchall()
    return [dict(zip(HISTORY_COLUMNS, row, strict=True)) for row in rows]


def format_history(trial_id: str, patient_id: str, rows: Sequence[dict]) -> str:
    """One line per event: `2026-12-01 jdoe  state screen_failed (lab_out_of_range) ...`."""
    if not rows:
        return f"{trial_id}: patient {patient_id} has no screening event (state to_review)"
    lines = [f"{trial_id}: patient {patient_id}, {len(rows)} screening event(s)"]
    for r in rows:
        what = f"state {r['state']}" if r["state"] else f"criterion {r['criterion_id']} {r['decision']}"
        if r["reason"]:
            what += f" ({r['reason']})"
        if r["valid_until"]:
            what += f" until {r['valid_until']}"
        source = r["source"] if not r["source_file"] else f"{r['source_file']} line {r['source_line']}"
        note = f'  "{r["note"]}"' if r["note"] else ""
        lines.append(
            f"  #{r['event_id']:<5} {r['decided_on']}  {r['decided_by']:<12} {what}  [{source}]{note}"
        )
    return "\n".join(lines)


class ImportRefused(CohortscanError):
    """A screening-log file is refused whole (every bad row listed): nothing recorded."""

    exit_code = 2
