"""`cohortscan review`: record a screening state or a criterion decision, import a
screening log, or show a patient's history (see README.md, "Screening")."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pipelines.criteria import trials
from pipelines.errors import NotFound, ParameterError
from pipelines.screening import events, importer
from pipelines.settings import Settings
from pipelines.warehouse.connect import open_warehouse


def load_trial(settings: Settings, trial_id: str) -> trials.Trial:
    """The trial `trial_id`, else NotFound listing the trials found."""
    known = trials.discover_trials(settings.trials_dir)
    if trial_id not in known:
        raise NotFound(f"trial {trial_id!r} is not a trial (expected one of {', '.join(known)})")
    return trials.load_trial(settings.trials_dir, trial_id)


def parse_criterion(text: str) -> tuple[str, str]:
    """'inc_consent=met' -> ('inc_consent', 'met')."""
    criterion, sep, decision = text.partition("=")
    if not sep or not criterion or not decision:
        raise ParameterError(f"--criterion {text!r} is not ID=met or ID=not_met")
    return criterion.strip(), decision.strip()


def _warehouse(settings: Settings) -> Path:
    if not settings.warehouse.exists():
        raise NotFound(f"{settings.warehouse}: no warehouse yet; run `cohortscan scan` first")
    return settings.warehouse


def record(
    settings: Settings,
    trial_id: str,
    patient_id: str,
    by: str,
    *,
    state: str | None = None,
    reason: str | None = None,
    until: date | None = None,
    criterion: str | None = None,
    note: str | None = None,
    on: date | None = None,
) -> str:
    """Record one event; return the line the CLI prints (no note in it)."""
    trial = load_trial(settings, trial_id)
    criterion_id, decision = parse_criterion(criterion) if criterion else (None, None)
    event = events.Event(
        trial_id=trial.id,
        patient_id=patient_id,
        decided_by=by,
        decided_on=on or date.today(),
        state=state,
        criterion_id=criterion_id,
        decision=decision,
        reason=reason,
        until=until,
        note=note,
    )
    with open_warehouse(_warehouse(settings)) as con:
        event_id = events.record_one(con, trial, event)
    what = f"state {state}" if state else f"{criterion_id} {decision}"
    return (
        f"recorded event {event_id}: {trial.id} patient {patient_id} {what}"
        + (f" ({reason})" if reason else "")
        + (f" until {until}" if until else "")
        + f" by {by} on {event.decided_on}; the next scan applies it"
    )


def import_log(settings: Settings, path: Path, by: str) -> str:
    """Import a screening-log CSV; return the summary line."""
    if not path.is_file():
        raise NotFound(f"{path}: no such file")
    with open_warehouse(_warehouse(settings)) as con:
        result = importer.import_file(con, path, settings.trials_dir, by)
    return (
        f"{result.file_name}: {result.rows} row(s), {result.recorded} recorded, "
        f"{result.skipped} already recorded (skipped)"
    )


def show_history(settings: Settings, trial_id: str, patient_id: str) -> str:
    """A patient's screening events in a trial, oldest first."""
    trial = load_trial(settings, trial_id)
    with open_warehouse(_warehouse(settings), read_only=True) as con:
        return events.format_history(trial.id, patient_id, events.history(con, trial.id, patient_id))
