"""Prefect flows: `scan` calls the `ingest`, `evaluate` and `export` flows in order.

Flows only call tasks; tasks only call the plain functions of the other modules (which
tests call directly). Only tasks that do I/O on files retry. Logs go through Prefect's
run logger and carry counts and timings, never a patient's data.
"""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE as NO_CACHE

from pipelines import evaluate, exports, ingest, runs, staging, trials
from pipelines.errors import DropRefused
from pipelines.runlock import run_lock
from pipelines.settings import Settings
from pipelines.warehouse import open_warehouse

# Console lines of our own carry this marker; see pipelines/logging.yml.
SAY = {"cohortscan": True}


def _say(message: str, **fields: Any) -> None:
    """A progress line (console and Prefect UI); `fields` are counts and timings that JSON
    log handlers show as attributes. Names and counts only, never a patient's data."""
    get_run_logger().info(message, extra={**SAY, **fields})


def _settings(**given: Any) -> Settings:
    """Settings from the flow's parameters; those left out (None) take the settings' values."""
    return Settings(**{key: value for key, value in given.items() if value is not None})


@task(retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE)
def ingest_files(extracts: Path, warehouse: Path, run_id: str) -> list[dict[str, Any]]:
    """Load every new file of the drop (I/O: retried)."""
    with open_warehouse(warehouse) as con:
        results = ingest.ingest_drop(con, extracts, run_id, progress=_say)
    return [r.as_dict() for r in results]


@task(cache_policy=NO_CACHE)
def build_staging(warehouse: Path) -> dict[str, int]:
    """Materialise the stg_* tables."""
    with open_warehouse(warehouse) as con:
        return staging.build_staging(con)


@task(cache_policy=NO_CACHE)
def evaluate_trial(warehouse: Path, trials_dir: Path, trial_id: str, as_of: date) -> dict[str, Any]:
    """Evaluate one trial's criteria, eligibility and funnel."""
    trial = trials.load_trial(trials_dir, trial_id)
    with open_warehouse(warehouse) as con:
        statuses = evaluate.evaluate_trial(con, trial, as_of)
        funnel = evaluate.funnel(con, trial)
    return {"statuses": statuses, "funnel": funnel}


@task(retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE)
def export_trial(
    warehouse: Path,
    trials_dir: Path,
    trial_id: str,
    out: Path,
    as_of: date,
    run_id: str,
    info: dict,
) -> str:
    """Write one trial's exports atomically (I/O: retried)."""
    trial = trials.load_trial(trials_dir, trial_id)
    with open_warehouse(warehouse) as con:
        folder = exports.write_trial_exports(con, trial, out, as_of.isoformat(), run_id, info)
    return str(folder)


@flow(name="ingest", log_prints=False)
def ingest_flow(extracts: Path, warehouse: Path, run_id: str) -> list[dict[str, Any]]:
    """Ingest a drop; a refused file stops the scan after the good files are loaded."""
    started = time.monotonic()
    files = ingest_files(extracts, warehouse, run_id)
    refused = [f for f in files if f["status"] == "refused"]
    loaded = sum(f["status"] == "loaded" for f in files)
    skipped = len(files) - loaded - len(refused)
    rows = {k: sum(f[f"rows_{k}"] for f in files) for k in ("read", "loaded", "quarantined")}
    seconds = round(time.monotonic() - started, 3)
    _say(
        f"ingest: {loaded} file(s) loaded, {skipped} skipped, {len(refused)} refused; "
        f"{rows['loaded']} rows loaded, {rows['quarantined']} quarantined ({seconds:.1f} s)",
        event="ingest",
        files_loaded=loaded,
        files_skipped=skipped,
        files_refused=len(refused),
        rows_read=rows["read"],
        rows_loaded=rows["loaded"],
        rows_quarantined=rows["quarantined"],
        seconds=seconds,
    )
    if refused:
        first = refused[0]
        more = f" (and {len(refused) - 1} more refused file(s))" if len(refused) > 1 else ""
        raise DropRefused(f"{first['file_name']}: {first['message']}{more}")
    return files


@flow(name="evaluate")
def evaluate_flow(warehouse: Path, trials_dir: Path, trial_ids: list[str], as_of: date) -> dict[str, Any]:
    """Stage the data once, then evaluate every trial on it."""
    started = time.monotonic()
    counts = build_staging(warehouse)
    staged = time.monotonic()
    _say(
        "staging: " + ", ".join(f"{k} {v}" for k, v in counts.items()) + f" ({staged - started:.1f} s)",
        event="staging",
        rows=counts,
        seconds=round(staged - started, 3),
    )
    results = {t: evaluate_trial(warehouse, trials_dir, t, as_of) for t in trial_ids}
    for trial_id, result in results.items():
        _say(
            f"{trial_id}: " + ", ".join(f"{k} {v}" for k, v in sorted(result["statuses"].items())),
            event="evaluate",
            trial=trial_id,
            statuses=result["statuses"],
        )
    return {
        "staging_counts": counts,
        "trials": results,
        "timings": {
            "stage": round(staged - started, 3),
            "criteria": round(time.monotonic() - staged, 3),
        },
    }


@flow(name="export")
def export_flow(
    warehouse: Path, trials_dir: Path, out: Path, as_of: date, run_id: str, infos: dict[str, dict]
) -> dict[str, str]:
    """Write every trial's exports."""
    exports.clean_partials(out)
    return {
        trial_id: export_trial(warehouse, trials_dir, trial_id, out, as_of, run_id, info)
        for trial_id, info in infos.items()
    }


@flow(name="scan")
def scan_flow(
    extracts: Path | None = None,
    warehouse: Path | None = None,
    out: Path | None = None,
    trials_dir: Path | None = None,
    trial_ids: list[str] | None = None,
    as_of: date | None = None,
    full_refresh: bool | None = None,
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
    )
    trial_ids = s.trials or trials.discover_trials(s.trials_dir)
    for trial_id in trial_ids:
        trials.load_trial(s.trials_dir, trial_id)  # refuse a broken trial before any work
    run_id = runs.new_run_id()
    with run_lock(s.warehouse, f"scan run {run_id}", s.lock_wait_seconds):
        with open_warehouse(s.warehouse) as con:
            crashed = runs.mark_crashed(con, run_id)
            runs.start_run(con, run_id, trial_ids, s.as_of, s.extracts)
        for old in crashed:
            get_run_logger().warning(f"run {old} did not finish (its process ended): marked crashed")
        return _scan(s, trial_ids, run_id)


def _scan(s: Settings, trial_ids: list[str], run_id: str) -> dict[str, Any]:
    """The body of `scan_flow`, run under the run lock; records the run's outcome."""
    started_at = datetime.now()
    refresh = "  (full refresh)" if s.full_refresh else ""
    _say(f"run {run_id}: as-of {s.as_of}, trials {', '.join(trial_ids)}{refresh}", event="run_started")
    files = evaluated = validation = None
    timings: dict[str, float] = {}
    try:
        t0 = time.monotonic()
        files = ingest_flow(s.extracts, s.warehouse, run_id)
        if s.full_refresh:
            with open_warehouse(s.warehouse) as con:
                runs.declare_full_refresh(con, run_id)
        t1 = time.monotonic()
        # Data-quality gate (Great Expectations suites in expectations/) plugs in here,
        # between ingest and evaluation; until it exists run.json says "not_configured".
        validation = {"status": "not_configured", "checks": []}
        evaluated = evaluate_flow(s.warehouse, s.trials_dir, trial_ids, s.as_of)
        t2 = time.monotonic()
        timings = {"ingest": round(t1 - t0, 3), **evaluated["timings"]}
        infos = {
            trial_id: runs.run_info(
                run_id=run_id,
                trial=trials.load_trial(s.trials_dir, trial_id),
                as_of=s.as_of,
                extracts=s.extracts,
                started_at=started_at,
                files=files,
                staging_counts=evaluated["staging_counts"],
                statuses=result["statuses"],
                funnel=result["funnel"],
                validation=validation,
                timings=timings,
            )
            for trial_id, result in evaluated["trials"].items()
        }
        folders = export_flow(s.warehouse, s.trials_dir, s.out, s.as_of, run_id, infos)
        timings["export"] = round(time.monotonic() - t2, 3)
    except Exception as err:
        summary = runs.run_summary(
            full_refresh=s.full_refresh,
            files=files,
            validation=validation,
            trials=evaluated["trials"] if evaluated else None,
            timings=timings or None,
        )
        with open_warehouse(s.warehouse) as con:
            status = "refused" if isinstance(err, DropRefused) else "failed"
            message = str(err).splitlines()[0] if str(err) else type(err).__name__
            runs.finish_run(con, run_id, status, message, summary)
        raise
    summary = runs.run_summary(
        full_refresh=s.full_refresh,
        files=files,
        validation=validation,
        trials=evaluated["trials"],
        timings=timings,
        folders=folders,
    )
    with open_warehouse(s.warehouse) as con:
        runs.finish_run(con, run_id, "succeeded", None, summary)
    _say(
        f"run {run_id} succeeded: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()),
        event="run_finished",
        timings=timings,
    )
    return {
        "run_id": run_id,
        "as_of": s.as_of.isoformat(),
        "folders": folders,
        "files": files,
        "trials": evaluated["trials"],
        "timings": timings,
    }


@flow(name="validate")
def validate_flow(extracts: Path, warehouse: Path) -> list[dict[str, Any]]:
    """Ingest a drop and run the data-quality checks, without evaluating any trial."""
    run_id = runs.new_run_id()
    lock_wait = Settings().lock_wait_seconds
    with run_lock(warehouse, f"validate run {run_id}", lock_wait):
        return ingest_flow(extracts, warehouse, run_id)
