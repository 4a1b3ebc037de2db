"""Prefect flows: `scan` (ingest, data-quality gate, criteria, exports) and `validate`.

A flow only calls tasks in order (`pipelines/run/tasks.py`: `ingest_files`;
`validate_tables`, `build_staging`, `gate_validation`; `evaluate_trial`; `export_trial`)
and logs what they return; stages hand each other typed results
(`pipelines/run/results.py`). A scan loads each trial once. All tasks run in the one
flow run: a sub-flow per stage would cost several API calls and the end of a heartbeat
thread each, seconds per scan. Tasks that touch different tables run at once on Prefect's
thread pool (the raw checks beside staging; the trials' evaluations; their exports),
each on its own connection to the one warehouse. Tasks only call the plain functions of
the stages (which tests call directly). Logs carry counts and timings, never a patient's
data.

A scan that loads no new file, when nothing else changed since the last run and that
run succeeded with its exports intact, records itself as a run that reused them
(`reuse_exports`, pipelines/run/reuse.py) instead of staging, validating, evaluating and
exporting again. The data-quality module (Great Expectations, seconds to import) is
imported only by the tasks of the gate.
"""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.futures import wait

from pipelines.criteria import trials
from pipelines.criteria.trials import Trial
from pipelines.errors import DropRefused
from pipelines.exports import write as exports
from pipelines.files import private_umask
from pipelines.ingest import load as ingest
from pipelines.run import history as runs
from pipelines.run.results import Checked, TrialEvaluation
from pipelines.run.tasks import (
    build_staging,
    evaluate_trial,
    export_trial,
    gate_validation,
    ingest_files,
    plan_staging,
    remember_validated,
    reuse_exports,
    reuse_validated,
    say,
    validate_tables,
)
from pipelines.settings import Settings
from pipelines.staging.incremental import StagingPlan
from pipelines.warehouse.connect import open_warehouse
from pipelines.warehouse.runlock import run_lock


def _settings(**given: Any) -> Settings:
    """Settings from the flow's parameters; those left out (None) take the settings' values."""
    return Settings(**{key: value for key, value in given.items() if value is not None})


def _ingest(
    extracts: Path, warehouse: Path, run_id: str, extracts_format: str | None = None
) -> list[dict[str, Any]]:
    """Ingest a drop; a refused file stops the scan after the good files are loaded."""
    started = time.monotonic()
    files = ingest_files(extracts, warehouse, run_id, extracts_format)
    refused = [f for f in files if f["status"] == "refused"]
    loaded = sum(f["status"] == "loaded" for f in files)
    skipped = sum(f["status"] == "skipped" for f in files)
    ignored = sum(f["status"] == "ignored" for f in files)
    rows = {k: sum(f[f"rows_{k}"] for f in files) for k in ("read", "loaded", "quarantined")}
    seconds = round(time.monotonic() - started, 3)
    say(
        f"ingest: {loaded} file(s) loaded, {skipped} skipped, {ignored} ignored, "
        f"{len(refused)} refused; "
        f"{rows['loaded']} rows loaded, {rows['quarantined']} quarantined ({seconds:.1f} s)",
        event="ingest",
        files_loaded=loaded,
        files_skipped=skipped,
        files_ignored=ignored,
        files_refused=len(refused),
        rows_read=rows["read"],
        rows_loaded=rows["loaded"],
        rows_quarantined=rows["quarantined"],
        seconds=seconds,
    )
    if refused:
        first = refused[0]
        more = f" (and {len(refused) - 1} more refused file(s))" if len(refused) > 1 else ""
        raise DropRefused(ingest.refusal(first) + more)
    return files


def _quality(
    warehouse: Path, as_of: date, run_id: str, work_dir: Path, batch_rows: int, full: bool = False
) -> Checked:
    """Data-quality gate around staging: validate raw_*, stage, validate stg_*.

    Every check runs even when an earlier one failed, so one run shows every fault; the
    caller stops the run (`gate_validation`) before any criterion is evaluated. Only a
    delta's rows are staged and checked when nothing else changed (`plan_staging`;
    `full` forces every row).
    """
    started = time.monotonic()
    plan = plan_staging(warehouse, full)
    since = plan.since_load_id
    # The raw checks read raw_* only and staging writes stg_* only: they run at once.
    # Data Docs are built once, after the staging checks, with both stages' results.
    raw = validate_tables.submit(
        warehouse, "raw", as_of, run_id, work_dir, batch_rows, docs=False, since_load_id=since
    )
    try:
        counts = _stage(warehouse, plan, run_id)
    except BaseException:
        wait([raw])  # nothing left running on the warehouse; staging's error is the one raised
        raise
    checks = raw.result()
    staged = time.monotonic()
    checks += validate_tables(warehouse, "staging", as_of, run_id, work_dir, batch_rows, since_load_id=since)
    return Checked(
        checks=checks,
        staging_counts=counts,
        timings={"validate": round(time.monotonic() - staged, 3), "stage": round(staged - started, 3)},
    )


def _stage(warehouse: Path, plan: StagingPlan, run_id: str) -> dict[str, int]:
    started = time.monotonic()
    counts = build_staging(warehouse, plan, run_id)
    seconds = time.monotonic() - started
    say(
        f"staging ({plan.mode}: {plan.reason}): "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
        + f" ({seconds:.1f} s)",
        event="staging",
        mode=plan.mode,
        rows=counts,
        seconds=round(seconds, 3),
    )
    return counts


def _evaluate(
    warehouse: Path, chosen: list[Trial], as_of: date, full: bool = False
) -> dict[str, TrialEvaluation]:
    """Evaluate every trial on the staged tables, the trials at once (each writes only
    its own schema; DuckDB runs their queries side by side); incrementally where the
    stored evaluation allows it, unless `full` (`pipelines/criteria/incremental.py`)."""
    futures = {trial.id: evaluate_trial.submit(warehouse, trial, as_of, full) for trial in chosen}
    wait(list(futures.values()))  # every trial done (or failed) before any error is raised
    results = {trial_id: future.result() for trial_id, future in futures.items()}
    for trial_id, result in results.items():
        say(
            f"{trial_id}: " + ", ".join(f"{k} {v}" for k, v in sorted(result.statuses.items())),
            event="evaluate",
            trial=trial_id,
            statuses=result.statuses,
        )
    return results


def _export(
    s: Settings, chosen: list[Trial], run_id: str, infos: dict[str, dict], data_docs: Path | None = None
) -> dict[str, str]:
    """Write every trial's exports (with the run's Data Docs, when given), the trials at
    once: each writes its own folder; both append to patient_status_history."""
    exports.clean_partials(s.out)
    futures = {
        trial.id: export_trial.submit(s.warehouse, trial, s.out, s.as_of, run_id, infos[trial.id], data_docs)
        for trial in chosen
    }
    wait(list(futures.values()))  # every trial done (or failed) before any error is raised
    return {trial_id: future.result() for trial_id, future in futures.items()}


@flow(name="scan")
def scan_flow(
    extracts: Path | None = None,
    warehouse: Path | None = None,
    out: Path | None = None,
    trials_dir: Path | None = None,
    trial_ids: list[str] | None = None,
    as_of: date | None = None,
    full_refresh: bool | None = None,
    extracts_format: str | None = None,
    full: bool | None = None,
) -> dict[str, Any]:
    """Ingest a drop, evaluate the trials, export candidates, criteria and run.json.

    Parameters left out take the settings' values (COHORTSCAN_* variables, then the
    defaults; relative paths from the project root): `as_of` is then today, as the nightly
    deployment wants. The whole run holds the warehouse's run lock; runs a killed scan
    left 'running' are marked 'crashed' first.
    """
    s = _settings(
        extracts=extracts,
        warehouse=warehouse,
        out=out,
        trials_dir=trials_dir,
        trials=trial_ids,
        as_of=as_of,
        full_refresh=full_refresh,
        extracts_format=extracts_format,
        full=full,
    )
    trial_ids = s.trials or trials.discover_trials(s.trials_dir)
    # Each trial is loaded once, here: a broken one is refused before any work.
    chosen = [trials.load_trial(s.trials_dir, trial_id) for trial_id in trial_ids]
    run_id = runs.new_run_id()
    # Every file the run creates (warehouse, spill, GX work folder, exports) is private.
    with private_umask(s.private_group), run_lock(s.warehouse, f"scan run {run_id}", s.lock_wait_seconds):
        with open_warehouse(s.warehouse) as con:
            crashed = runs.mark_crashed(con, run_id)
            runs.start_run(con, run_id, trial_ids, s.as_of, s.extracts)
        for old in crashed:
            get_run_logger().warning(f"run {old} did not finish (its process ended): marked crashed")
        return _scan(s, chosen, run_id)


def _scan(s: Settings, chosen: list[Trial], run_id: str) -> dict[str, Any]:
    """The body of `scan_flow`, run under the run lock; records the run's outcome."""
    started_at = datetime.now()
    trial_ids = [trial.id for trial in chosen]
    refresh = "  (full refresh)" if s.full_refresh else ""
    say(f"run {run_id}: as-of {s.as_of}, trials {', '.join(trial_ids)}{refresh}", event="run_started")
    files = evaluated = validation = work_dir = None
    timings: dict[str, float] = {}
    fingerprint = None
    try:
        t0 = time.monotonic()
        files = _ingest(s.extracts, s.warehouse, run_id, s.extracts_format)
        if s.full_refresh:
            with open_warehouse(s.warehouse) as con:
                runs.declare_full_refresh(con, run_id)
        t1 = time.monotonic()
        timings["ingest"] = round(t1 - t0, 3)
        fingerprint, reused = reuse_exports(s, chosen, run_id, files, started_at, timings)
        if reused is not None:
            return reused
        from pipelines.checks import gate as quality

        work_dir = quality.work_dir_for(s.out, run_id)
        key, checked = reuse_validated(s, run_id, work_dir, files)
        if checked is None:
            checked = _quality(s.warehouse, s.as_of, run_id, work_dir, s.dq_batch_rows, s.full)
        # The outcome is known before the gate: a run it stops records it in its summary.
        validation = quality.outcome(checked.checks, "data_docs/index.html")
        evidence = s.out / quality.FAILED_DIR / run_id
        validation = gate_validation(
            checked.checks, evidence, work_dir, _evidence_payload(s, run_id, started_at, files, checked)
        )
        if checked.reused_from is not None:
            validation["reused_from"] = checked.reused_from
        else:
            remember_validated(s, key, run_id, checked, work_dir)
        t2 = time.monotonic()
        evaluated = _evaluate(s.warehouse, chosen, s.as_of, s.full)
        timings.update({**checked.timings, "criteria": round(time.monotonic() - t2, 3)})
        t2 = time.monotonic()
        infos = {
            trial.id: runs.run_info(
                run_id=run_id,
                trial=trial,
                as_of=s.as_of,
                extracts=s.extracts,
                started_at=started_at,
                files=files,
                staging_counts=checked.staging_counts,
                statuses=evaluated[trial.id].statuses,
                funnel=evaluated[trial.id].funnel,
                validation=validation,
                timings=timings,
                evaluation=evaluated[trial.id].evaluation,
            )
            for trial in chosen
        }
        folders = _export(s, chosen, run_id, infos, work_dir / "data_docs")
        timings["export"] = round(time.monotonic() - t2, 3)
    except Exception as err:
        summary = runs.run_summary(
            full_refresh=s.full_refresh,
            files=files,
            validation=validation,
            trials=_as_dicts(evaluated),
            timings=timings or None,
        )
        with open_warehouse(s.warehouse) as con:
            status = "refused" if isinstance(err, DropRefused) else "failed"
            message = str(err).splitlines()[0] if str(err) else type(err).__name__
            runs.finish_run(con, run_id, status, message, summary)
        raise
    finally:
        if work_dir is not None:
            from pipelines.checks import gate as quality

            quality.discard_work(work_dir)
    summary = runs.run_summary(
        full_refresh=s.full_refresh,
        files=files,
        validation=validation,
        trials=_as_dicts(evaluated),
        timings=timings,
        folders=folders,
        fingerprint=fingerprint,
    )
    with open_warehouse(s.warehouse) as con:
        runs.finish_run(con, run_id, "succeeded", None, summary)
    say(
        f"run {run_id} succeeded: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()),
        event="run_finished",
        timings=timings,
    )
    return {
        "run_id": run_id,
        "as_of": s.as_of.isoformat(),
        "folders": folders,
        "files": files,
        "validation": validation,
        "trials": _as_dicts(evaluated),
        "timings": timings,
    }


def _as_dicts(evaluated: dict[str, TrialEvaluation] | None) -> dict[str, dict[str, Any]] | None:
    """The trials' evaluations as JSON for the run summary and the flow's result."""
    return None if evaluated is None else {t: e.as_dict() for t, e in evaluated.items()}


def _evidence_payload(
    s: Settings, run_id: str, started_at: datetime, files: list[dict], checked: Checked
) -> dict[str, Any]:
    """run.json of a run that ends at the quality gate (no trial evaluated)."""
    return {
        "run_id": run_id,
        "as_of": s.as_of.isoformat(),
        "started_at": started_at.isoformat(timespec="seconds"),
        "finished_at": datetime.now().isoformat(timespec="seconds"),
        "extracts": str(s.extracts),
        "inputs": files,
        "staging_rows": checked.staging_counts,
    }


@flow(name="validate")
def validate_flow(
    extracts: Path | None = None,
    warehouse: Path | None = None,
    out: Path | None = None,
    as_of: date | None = None,
    extracts_format: str | None = None,
) -> dict[str, Any]:
    """Ingest a drop and run the data-quality gate, without evaluating any trial.

    The Data Docs and a run.json go to `OUT/_validation/<run_id>/` whatever the outcome;
    a failed `error` check raises ValidationFailed after they are written.
    """
    from pipelines.checks import gate as quality

    s = _settings(
        extracts=extracts, warehouse=warehouse, out=out, as_of=as_of, extracts_format=extracts_format
    )
    run_id = runs.new_run_id()
    started_at = datetime.now()
    work_dir = quality.work_dir_for(s.out, run_id)
    evidence = s.out / quality.VALIDATION_DIR / run_id
    with (
        private_umask(s.private_group),
        run_lock(s.warehouse, f"validate run {run_id}", s.lock_wait_seconds),
    ):
        try:
            files = _ingest(s.extracts, s.warehouse, run_id, s.extracts_format)
            checked = _quality(s.warehouse, s.as_of, run_id, work_dir, s.dq_batch_rows)
            payload = _evidence_payload(s, run_id, started_at, files, checked)
            validation = gate_validation(checked.checks, evidence, work_dir, payload)
            quality.keep_evidence(
                evidence, work_dir, {**payload, "status": validation["status"]}, checked.checks
            )
        finally:
            quality.discard_work(work_dir)
    return {"run_id": run_id, "files": files, "validation": validation, "folder": str(evidence)}
