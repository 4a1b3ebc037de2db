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
from pipelines.warehouse import open_warehouse

# Console lines of our own carry this marker; see pipelines/logging.yml.
SAY = {"cohortscan": True}


def _say(message: str) -> None:
    get_run_logger().info(message, extra=SAY)


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
    files = ingest_files(extracts, warehouse, run_id)
    refused = [f for f in files if f["status"] == "refused"]
    loaded = sum(f["status"] == "loaded" for f in files)
    skipped = len(files) - loaded - len(refused)
    _say(f"ingest: {loaded} file(s) loaded, {skipped} skipped, {len(refused)} refused")
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
    _say("staging: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    results = {t: evaluate_trial(warehouse, trials_dir, t, as_of) for t in trial_ids}
    for trial_id, result in results.items():
        _say(f"{trial_id}: " + ", ".join(f"{k} {v}" for k, v in sorted(result["statuses"].items())))
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
    extracts: Path,
    warehouse: Path,
    out: Path,
    trials_dir: Path,
    trial_ids: list[str] | None = None,
    as_of: date | None = None,
) -> dict[str, Any]:
    """Ingest a drop, evaluate the trials, export candidates, criteria and run.json."""
    as_of = as_of or date.today()
    trial_ids = trial_ids or trials.discover_trials(trials_dir)
    for trial_id in trial_ids:
        trials.load_trial(trials_dir, trial_id)  # refuse a broken trial before any work
    run_id = runs.new_run_id()
    started_at = datetime.now()
    with open_warehouse(warehouse) as con:
        runs.start_run(con, run_id, trial_ids, as_of, extracts)
    _say(f"run {run_id}: as-of {as_of}, trials {', '.join(trial_ids)}")
    try:
        t0 = time.monotonic()
        files = ingest_flow(extracts, warehouse, run_id)
        t1 = time.monotonic()
        # Data-quality gate (Great Expectations suites in expectations/) plugs in here,
        # between ingest and evaluation; until it exists run.json says "not_configured".
        validation = {"status": "not_configured", "checks": []}
        evaluated = evaluate_flow(warehouse, trials_dir, trial_ids, as_of)
        t2 = time.monotonic()
        timings = {"ingest": round(t1 - t0, 3), **evaluated["timings"]}
        infos = {
            trial_id: runs.run_info(
                run_id=run_id,
                trial=trials.load_trial(trials_dir, trial_id),
                as_of=as_of,
                extracts=extracts,
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
        folders = export_flow(warehouse, trials_dir, out, as_of, run_id, infos)
        timings["export"] = round(time.monotonic() - t2, 3)
        summary = {
            "run_id": run_id,
            "as_of": as_of.isoformat(),
            "folders": folders,
            "files": files,
            "trials": evaluated["trials"],
            "timings": timings,
        }
    except Exception as err:
        with open_warehouse(warehouse) as con:
            status = "refused" if isinstance(err, DropRefused) else "failed"
            runs.finish_run(con, run_id, status, str(err).splitlines()[0] if str(err) else type(err).__name__)
        raise
    with open_warehouse(warehouse) as con:
        runs.finish_run(con, run_id, "succeeded", None, {"timings": timings, "folders": folders})
    return summary


@flow(name="validate")
def validate_flow(extracts: Path, warehouse: Path) -> list[dict[str, Any]]:
    """Ingest a drop and run the data-quality checks, without evaluating any trial."""
    run_id = runs.new_run_id()
    return ingest_flow(extracts, warehouse, run_id)
