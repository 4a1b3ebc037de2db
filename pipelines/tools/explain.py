"""`cohortscan explain`: why one patient is, or is not, a candidate."""

from __future__ import annotations

from contextlib import suppress

import duckdb

from pipelines.criteria import evaluate, trials
from pipelines.errors import NotFound
from pipelines.settings import Settings
from pipelines.warehouse.connect import first_row, ident, open_warehouse, scalar


def explain_patient(settings: Settings, patient_id: str, *, as_of_given: bool = False) -> str:
    """Each trial's status for the patient, then every criterion with its evidence.

    Without --as-of the last scan's evaluation is read as stored while it is current
    (`evaluate.is_current`). It is not once a coordinator recorded a decision since that
    scan (or the data or the trial changed): the trial is then re-evaluated at the
    stored as-of date, so that what the coordinator just decided shows at once, and the
    output says so. With another as-of date the trial is re-evaluated too. Each
    re-evaluation runs inside a transaction that is rolled back: the next scan stores it.
    """
    if not settings.warehouse.exists():
        raise NotFound(f"{settings.warehouse}: no warehouse yet; run `cohortscan scan` first")
    trial_ids = settings.trials or trials.discover_trials(settings.trials_dir)
    blocks = []
    with open_warehouse(settings.warehouse) as con:
        if scalar(con, "select count(*) from stg_patients where patient_id = ?", [patient_id]) == 0:
            raise NotFound(f"patient {patient_id!r} is not in the warehouse {settings.warehouse}")
        for trial_id in trial_ids:
            trial = trials.load_trial(settings.trials_dir, trial_id)
            blocks.append(_explain_trial(con, trial, patient_id, settings, as_of_given))
    return "\n\n".join(blocks)


def _explain_trial(
    con: duckdb.DuckDBPyConnection,
    trial: trials.Trial,
    patient_id: str,
    settings: Settings,
    as_of_given: bool,
) -> str:
    schema = ident(trial.id)
    stored = None
    with suppress(duckdb.Error):
        stored = scalar(con, f"select as_of from {schema}.run_context")
    as_of = settings.as_of if as_of_given or stored is None else stored
    stale = stored is not None and as_of == stored and not evaluate.is_current(con, trial, stored, {})
    reevaluate = stored is None or as_of != stored or stale
    if reevaluate:
        con.execute("begin transaction")
    try:
        if reevaluate:
            evaluate.evaluate_trial(con, trial, as_of)
        as_of = scalar(con, f"select as_of from {schema}.run_context")
        head = first_row(
            con,
            f"select status, coalesce(reason, ''), diseases, score, site_id, "
            f"coalesce(to_verify_ids, '') from {schema}.cohort_eligibility where patient_id = ?",
            [patient_id],
        )
        rows = con.execute(
            f"select r.criterion_id, r.kind, r.status, r.evidence "
            f"from {schema}.criteria_results as r join {schema}.criteria_manifest as m "
            f"using (criterion_id) where r.patient_id = ? order by m.ordinal",
            [patient_id],
        ).fetchall()
    finally:
        if reevaluate:
            con.execute("rollback")
    status, reason, diseases, score, site, to_verify = head
    lines = [
        f"{trial.id} as of {as_of}: patient {patient_id} (site {site}) is {status.upper()}"
        + (f" ({reason})" if reason else ""),
        f"  diseases: {diseases or '-'}   score: {score}"
        + (f"   to verify at screening: {to_verify}" if to_verify else ""),
    ]
    if stale:
        lines.append(
            "  (re-evaluated now: decisions or data changed since the last scan, which stored "
            "another result; the next scan stores this one)"
        )
    width = max(len(r[0]) for r in rows)
    for criterion_id, kind, crit_status, evidence in rows:
        lines.append(f"  {criterion_id:<{width}}  {kind[:3]}  {crit_status:<8} {evidence}")
    return "\n".join(lines)
