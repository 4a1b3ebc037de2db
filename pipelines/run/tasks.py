"""The scan's tasks: each opens the warehouse, calls one plain function of a stage, logs.

Only tasks that do I/O on files retry. Logs go through Prefect's run logger (`say`) and
carry counts and timings, never a patient's data. The data-quality package (Great
Expectations, seconds to import) is imported only by the tasks of the gate.
"""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NONE as NO_CACHE

from pipelines.criteria import evaluate
from pipelines.criteria.trials import Trial
from pipelines.exports import write as exports
from pipelines.ingest import forms
from pipelines.run import reuse
from pipelines.run.results import Checked, TrialEvaluation
from pipelines.settings import Settings
from pipelines.staging import build as staging
from pipelines.staging import incremental
from pipelines.staging.incremental import StagingPlan
from pipelines.warehouse.connect import open_warehouse

# Console lines of our own carry this marker; see pipelines/run/logging.yml.
SAY = {"cohortscan": True}


def say(message: str, **fields: Any) -> None:
    """A progress line (console and Prefect UI); `fields` are counts and timings that JSON
    log handlers show as attributes. Names and counts only, never a patient's data."""
    get_run_logger().info(message, extra={**SAY, **fields})


@task(retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE)
def ingest_files(
    extracts: Path, warehouse: Path, run_id: str, extracts_format: str | None = None
) -> list[dict[str, Any]]:
    """Load every new file of the drop with the reader of its form (I/O: retried)."""
    with open_warehouse(warehouse) as con:
        results = forms.read_drop(con, extracts, run_id, progress=say, form=extracts_format)
    return [r.as_dict() for r in results]


@task(cache_policy=NO_CACHE)
def plan_staging(warehouse: Path, full: bool = False) -> StagingPlan:
    """Whether this run stages a delta (the patients of new loads) or every patient."""
    with open_warehouse(warehouse) as con:
        return incremental.plan_staging(con, full=full, tables=staging.STAGING_ORDER)


@task(cache_policy=NO_CACHE)
def build_staging(
    warehouse: Path, plan: StagingPlan | None = None, run_id: str | None = None
) -> dict[str, int]:
    """Materialise the stg_* tables (in full, or the delta of `plan`)."""
    with open_warehouse(warehouse) as con:
        return staging.build_staging(con, plan, run_id)


@task(cache_policy=NO_CACHE)
def validate_tables(
    warehouse: Path,
    stage: str,
    as_of: date,
    run_id: str,
    work_dir: Path,
    batch_rows: int,
    docs: bool = True,
    since_load_id: int | None = None,
) -> list[dict[str, Any]]:
    """Run the data-quality suites of one stage (on a delta's rows with `since_load_id`)
    and record them in dq_results; with `docs`, build the Data Docs of every stage
    validated so far."""
    from pipelines.checks import gate as quality

    started = time.monotonic()
    with open_warehouse(warehouse) as con:
        results = quality.run_suites(
            con, stage, as_of, run_id, work_dir, batch_rows=batch_rows, docs=docs, since_load_id=since_load_id
        )
        quality.record_results(con, run_id, results)
    failed = [r for r in results if r["status"] == "failed"]
    errors = sum(r["severity"] == "error" for r in failed)
    seconds = round(time.monotonic() - started, 3)
    say(
        f"validation {stage}: {len(results)} checks, {errors} error(s), {len(failed) - errors} "
        f"warning(s)"
        + "".join(f"; {r['table']}.{r['check']} {r['unexpected_count']}" for r in failed)
        + f" ({seconds:.1f} s)",
        event="validation",
        stage=stage,
        checks=len(results),
        errors=errors,
        warnings=len(failed) - errors,
        seconds=seconds,
    )
    return results


@task(cache_policy=NO_CACHE)
def gate_validation(
    results: list[dict[str, Any]], evidence: Path, work_dir: Path, payload: dict[str, Any]
) -> dict[str, Any]:
    """Stop the run on a failed `error` check (evidence kept aside); else the outcome."""
    from pipelines.checks import gate as quality

    quality.gate(results, evidence, work_dir, payload)
    return quality.outcome(results, "data_docs/index.html")


@task(cache_policy=NO_CACHE)
def evaluate_trial(warehouse: Path, trial: Trial, as_of: date, full: bool = False) -> TrialEvaluation:
    """Evaluate one trial's criteria (incrementally unless `full` or not possible),
    eligibility and funnel; one line says how the criteria were evaluated."""
    with open_warehouse(warehouse) as con:
        statuses = evaluate.evaluate_trial(con, trial, as_of, progress=say, full=full)
        funnel = evaluate.funnel(con, trial)
        how = evaluate.last_plan(con, trial)
    say(evaluate.plan_line(trial, how), event="evaluation", trial=trial.id, evaluation=how)
    return TrialEvaluation(statuses=statuses, funnel=funnel, evaluation=how)


@task(retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE)
def export_trial(
    warehouse: Path,
    trial: Trial,
    out: Path,
    as_of: date,
    run_id: str,
    info: dict,
    data_docs: Path | None = None,
) -> str:
    """Write one trial's exports atomically (I/O: retried)."""
    with open_warehouse(warehouse) as con:
        folder = exports.write_trial_exports(
            con, trial, out, as_of.isoformat(), run_id, info, data_docs=data_docs
        )
    return str(folder)


@task(cache_policy=NO_CACHE)
def reuse_exports(
    s: Settings,
    chosen: list[Trial],
    run_id: str,
    files: list[dict[str, Any]],
    started_at: datetime,
    timings: dict[str, float],
) -> tuple[str, dict[str, Any] | None]:
    """The fingerprint of this run's inputs and, when no file was loaded and the last run
    succeeded with that fingerprint and its exports intact, this run recorded as having
    reused them: the scan's result; else None (see pipelines/run/reuse.py)."""
    started = time.monotonic()
    trial_ids = [trial.id for trial in chosen]
    with open_warehouse(s.warehouse) as con:
        key = reuse.run_fingerprint(con, s.as_of, chosen, s.min_cell_count)
        fresh = s.full_refresh or s.full or any(f["status"] == "loaded" for f in files)
        previous = None if fresh else reuse.reusable_run(con, key, run_id, s.out, trial_ids, s.as_of)
        if previous is None:
            return key, None
        timings = {**timings, "reuse": round(time.monotonic() - started, 3)}
        result = reuse.record_reused_run(
            con,
            previous,
            run_id=run_id,
            trials=chosen,
            as_of=s.as_of,
            extracts=s.extracts,
            started_at=started_at,
            files=files,
            timings=timings,
            fingerprint=key,
        )
    say(
        f"no new file and nothing changed since run {previous['run_id']}: its exports (computed by run "
        f"{result['reused_from']}) are reused, nothing is staged, validated, evaluated or exported "
        f"again ({time.monotonic() - started:.1f} s)",
        event="exports_reused",
        reused_from=result["reused_from"],
        previous_run=previous["run_id"],
        seconds=round(time.monotonic() - started, 3),
    )
    say(
        f"run {run_id} succeeded: " + ", ".join(f"{k} {v:.1f} s" for k, v in result["timings"].items()),
        event="run_finished",
        timings=result["timings"],
    )
    return key, result


@task(cache_policy=NO_CACHE)
def reuse_validated(
    s: Settings, run_id: str, work_dir: Path, files: list[dict[str, Any]]
) -> tuple[str, Checked | None]:
    """The fingerprint of what staging and the gate read, and, when no file was loaded and
    the last validated staging has that fingerprint, its checks (recorded again under this
    run) and staging counts; else None (see pipelines/run/reuse.py)."""
    from pipelines.checks import gate as quality

    started = time.monotonic()
    with open_warehouse(s.warehouse) as con:
        key = reuse.fingerprint(con, s.as_of)
        fresh = s.full_refresh or s.full or any(f["status"] == "loaded" for f in files)
        found = None if fresh else reuse.find(con, key, reuse.kept_dir(s.warehouse), work_dir)
        if found is None:
            return key, None
        quality.record_results(con, run_id, found["checks"])
    seconds = round(time.monotonic() - started, 3)
    say(
        f"no new file: staging and validation of run {found['run_id']} reused ({seconds:.1f} s)",
        event="validation_reused",
        reused_from=found["run_id"],
        seconds=seconds,
    )
    return key, Checked(
        checks=found["checks"],
        staging_counts=found["staging_counts"],
        timings={"validate": 0.0, "stage": seconds},
        reused_from=found["run_id"],
    )


@task(cache_policy=NO_CACHE)
def remember_validated(s: Settings, key: str, run_id: str, checked: Checked, work_dir: Path) -> None:
    """Record that this run's staging passed the gate (for a later re-scan to reuse, and
    for the next delta to start after its loads)."""
    with open_warehouse(s.warehouse) as con:
        incremental.mark_validated(con, run_id)
        reuse.remember(
            con, key, run_id, checked.staging_counts, checked.checks, work_dir, reuse.kept_dir(s.warehouse)
        )
