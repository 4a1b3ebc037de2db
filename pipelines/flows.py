"""Prefect flows: `scan` (ingest, data-quality gate, criteria, exports) and `validate`.

A flow run calls tasks, one or more per stage (`ingest_files`; `validate_tables`,
`build_staging`, `gate_validation`; `evaluate_trial`; `export_trial`), all in the one
flow run: a sub-flow per stage would cost several API calls and the end of a heartbeat
thread each, seconds per scan. Tasks that touch different tables run at once on Prefect's
thread pool (the raw checks beside staging; the trials' evaluations; their exports),
each on its own connection to the one warehouse. Tasks only call the plain functions of
the other modules (which tests call directly). Only tasks that do I/O on files retry.
Logs go through Prefect's run logger and carry counts and timings, never a patient's
data.

A scan that loads no new file, when nothing else changed since the last run and that
run succeeded with its exports intact, records itself as a run that reused them
(`reuse_exports`, pipelines/reuse.py) instead of staging, validating, evaluating and
exporting again. The data-quality module (Great Expectations, seconds to import) is
imported only by the tasks of the gate.
"""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE as NO_CACHE
from prefect.futures import wait

from pipelines import evaluate, exports, ingest, reuse, runs, staging, trials
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
def validate_tables(
    warehouse: Path, stage: str, as_of: date, run_id: str, work_dir: Path, batch_rows: int, docs: bool = True
) -> list[dict[str, Any]]:
    """Run the data-quality suites of one stage and record them in dq_results; with
    `docs`, build the Data Docs of every stage validated so far."""
    from pipelines import quality

    started = time.monotonic()
    with open_warehouse(warehouse) as con:
        results = quality.run_suites(con, stage, as_of, run_id, work_dir, batch_rows=batch_rows, docs=docs)
        quality.record_results(con, run_id, results)
    failed = [r for r in results if r["status"] == "failed"]
    errors = sum(r["severity"] == "error" for r in failed)
    seconds = round(time.monotonic() - started, 3)
    _say(
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
    from pipelines import quality

    quality.gate(results, evidence, work_dir, payload)
    return quality.outcome(results, "data_docs/index.html")


@task(cache_policy=NO_CACHE)
def evaluate_trial(warehouse: Path, trials_dir: Path, trial_id: str, as_of: date) -> dict[str, Any]:
    """Evaluate one trial's criteria, eligibility and funnel."""
    trial = trials.load_trial(trials_dir, trial_id)
    with open_warehouse(warehouse) as con:
        statuses = evaluate.evaluate_trial(con, trial, as_of, progress=_say)
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
    data_docs: Path | None = None,
) -> str:
    """Write one trial's exports atomically (I/O: retried)."""
    trial = trials.load_trial(trials_dir, trial_id)
    with open_warehouse(warehouse) as con:
        folder = exports.write_trial_exports(
            con, trial, out, as_of.isoformat(), run_id, info, data_docs=data_docs
        )
    return str(folder)


def _ingest(extracts: Path, warehouse: Path, run_id: str) -> list[dict[str, Any]]:
    """Ingest a drop; a refused file stops the scan after the good files are loaded."""
    started = time.monotonic()
    files = ingest_files(extracts, warehouse, run_id)
    refused = [f for f in files if f["status"] == "refused"]
    loaded = sum(f["status"] == "loaded" for f in files)
    skipped = sum(f["status"] == "skipped" for f in files)
    ignored = sum(f["status"] == "ignored" for f in files)
    rows = {k: sum(f[f"rows_{k}"] for f in files) for k in ("read", "loaded", "quarantined")}
    seconds = round(time.monotonic() - started, 3)
    _say(
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


def _quality(warehouse: Path, as_of: date, run_id: str, work_dir: Path, batch_rows: int) -> dict[str, Any]:
    """Data-quality gate around staging: validate raw_*, stage, validate stg_*.

    Every check runs even when an earlier one failed, so one run shows every fault; the
    caller stops the run (`gate_validation`) before any criterion is evaluated.
    """
    started = time.monotonic()
    # The raw checks read raw_* only and staging writes stg_* only: they run at once.
    # Data Docs are built once, after the staging checks, with both stages' results.
    raw = validate_tables.submit(warehouse, "raw", as_of, run_id, work_dir, batch_rows, docs=False)
    try:
        counts = _stage(warehouse)
    except BaseException:
        wait([raw])  # nothing left running on the warehouse; staging's error is the one raised
        raise
    checks = raw.result()
    staged = time.monotonic()
    checks += validate_tables(warehouse, "staging", as_of, run_id, work_dir, batch_rows)
    return {
        "checks": checks,
        "staging_counts": counts,
        "timings": {
            "validate": round(time.monotonic() - staged, 3),
            "stage": round(staged - started, 3),
        },
    }


def _stage(warehouse: Path) -> dict[str, int]:
    started = time.monotonic()
    counts = build_staging(warehouse)
    seconds = time.monotonic() - started
    _say(
        "staging: " + ", ".join(f"{k} {v}" for k, v in counts.items()) + f" ({seconds:.1f} s)",
        event="staging",
        rows=counts,
        seconds=round(seconds, 3),
    )
    return counts


def _evaluate(warehouse: Path, trials_dir: Path, trial_ids: list[str], as_of: date) -> dict[str, Any]:
    """Evaluate every trial on the staged tables, the trials at once (each writes only
    its own schema; DuckDB runs their queries side by side)."""
    started = time.monotonic()
    futures = {t: evaluate_trial.submit(warehouse, trials_dir, t, as_of) for t in trial_ids}
    wait(list(futures.values()))  # every trial done (or failed) before any error is raised
    results = {t: future.result() for t, future in futures.items()}
    for trial_id, result in results.items():
        _say(
            f"{trial_id}: " + ", ".join(f"{k} {v}" for k, v in sorted(result["statuses"].items())),
            event="evaluate",
            trial=trial_id,
            statuses=result["statuses"],
        )
    return {"trials": results, "timings": {"criteria": round(time.monotonic() - started, 3)}}


def _export(
    s: Settings, run_id: str, infos: dict[str, dict], data_docs: Path | None = None
) -> dict[str, str]:
    """Write every trial's exports (with the run's Data Docs, when given), the trials at
    once: each writes its own folder; both append to patient_status_history."""
    exports.clean_partials(s.out)
    futures = {
        trial_id: export_trial.submit(
            s.warehouse, s.trials_dir, trial_id, s.out, s.as_of, run_id, info, data_docs
        )
        for trial_id, info in infos.items()
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
    files = evaluated = validation = work_dir = None
    timings: dict[str, float] = {}
    fingerprint = None
    try:
        t0 = time.monotonic()
        files = _ingest(s.extracts, s.warehouse, run_id)
        if s.full_refresh:
            with open_warehouse(s.warehouse) as con:
                runs.declare_full_refresh(con, run_id)
        t1 = time.monotonic()
        timings["ingest"] = round(t1 - t0, 3)
        fingerprint, reused = reuse_exports(s, trial_ids, run_id, files, started_at, timings)
        if reused is not None:
            return reused
        from pipelines import quality

        work_dir = quality.work_dir_for(s.out, run_id)
        key, checked = reuse_validated(s, run_id, work_dir, files)
        if checked is None:
            checked = _quality(s.warehouse, s.as_of, run_id, work_dir, s.dq_batch_rows)
        validation = quality.outcome(checked["checks"], "data_docs/index.html")
        evidence = s.out / quality.FAILED_DIR / run_id
        validation = gate_validation(
            checked["checks"], evidence, work_dir, _evidence_payload(s, run_id, started_at, files, checked)
        )
        if "reused_from" in checked:
            validation["reused_from"] = checked["reused_from"]
        else:
            remember_validated(s, key, run_id, checked, work_dir)
        evaluated = _evaluate(s.warehouse, s.trials_dir, trial_ids, s.as_of)
        t2 = time.monotonic()
        timings.update({**checked["timings"], **evaluated["timings"]})
        infos = {
            trial_id: runs.run_info(
                run_id=run_id,
                trial=trials.load_trial(s.trials_dir, trial_id),
                as_of=s.as_of,
                extracts=s.extracts,
                started_at=started_at,
                files=files,
                staging_counts=checked["staging_counts"],
                statuses=result["statuses"],
                funnel=result["funnel"],
                validation=validation,
                timings=timings,
            )
            for trial_id, result in evaluated["trials"].items()
        }
        folders = _export(s, run_id, infos, work_dir / "data_docs")
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
    finally:
        if work_dir is not None:
            from pipelines import quality

            quality.discard_work(work_dir)
    summary = runs.run_summary(
        full_refresh=s.full_refresh,
        files=files,
        validation=validation,
        trials=evaluated["trials"],
        timings=timings,
        folders=folders,
        fingerprint=fingerprint,
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
        "validation": validation,
        "trials": evaluated["trials"],
        "timings": timings,
    }


@task(cache_policy=NO_CACHE)
def reuse_exports(
    s: Settings,
    trial_ids: list[str],
    run_id: str,
    files: list[dict[str, Any]],
    started_at: datetime,
    timings: dict[str, float],
) -> tuple[str, dict[str, Any] | None]:
    """The fingerprint of this run's inputs and, when no file was loaded and the last run
    succeeded with that fingerprint and its exports intact, this run recorded as having
    reused them: the scan's result; else None (see pipelines/reuse.py)."""
    started = time.monotonic()
    chosen = [trials.load_trial(s.trials_dir, t) for t in trial_ids]
    with open_warehouse(s.warehouse) as con:
        key = reuse.run_fingerprint(con, s.as_of, chosen, s.min_cell_count)
        fresh = s.full_refresh or any(f["status"] == "loaded" for f in files)
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
    _say(
        f"no new file and nothing changed since run {previous['run_id']}: its exports (computed by run "
        f"{result['reused_from']}) are reused, nothing is staged, validated, evaluated or exported "
        f"again ({time.monotonic() - started:.1f} s)",
        event="exports_reused",
        reused_from=result["reused_from"],
        previous_run=previous["run_id"],
        seconds=round(time.monotonic() - started, 3),
    )
    _say(
        f"run {run_id} succeeded: " + ", ".join(f"{k} {v:.1f} s" for k, v in result["timings"].items()),
        event="run_finished",
        timings=result["timings"],
    )
    return key, result


@task(cache_policy=NO_CACHE)
def reuse_validated(
    s: Settings, run_id: str, work_dir: Path, files: list[dict[str, Any]]
) -> tuple[str, dict[str, Any] | None]:
    """The fingerprint of what staging and the gate read, and, when no file was loaded and
    the last validated staging has that fingerprint, its checks (recorded again under this
    run) and staging counts; else None (see pipelines/reuse.py)."""
    from pipelines import quality

    started = time.monotonic()
    with open_warehouse(s.warehouse) as con:
        key = reuse.fingerprint(con, s.as_of)
        fresh = s.full_refresh or any(f["status"] == "loaded" for f in files)
        found = None if fresh else reuse.find(con, key, reuse.kept_dir(s.warehouse), work_dir)
        if found is None:
            return key, None
        quality.record_results(con, run_id, found["checks"])
    seconds = round(time.monotonic() - started, 3)
    _say(
        f"no new file: staging and validation of run {found['run_id']} reused ({seconds:.1f} s)",
        event="validation_reused",
        reused_from=found["run_id"],
        seconds=seconds,
    )
    return key, {
        "checks": found["checks"],
        "staging_counts": found["staging_counts"],
        "timings": {"validate": 0.0, "stage": seconds},
        "reused_from": found["run_id"],
    }


@task(cache_policy=NO_CACHE)
def remember_validated(s: Settings, key: str, run_id: str, checked: dict[str, Any], work_dir: Path) -> None:
    """Record that this run's staging passed the gate (for a later re-scan to reuse)."""
    with open_warehouse(s.warehouse) as con:
        reuse.remember(con, key, run_id, checked, work_dir, reuse.kept_dir(s.warehouse))


def _evidence_payload(
    s: Settings, run_id: str, started_at: datetime, files: list[dict], checked: dict[str, Any]
) -> dict[str, Any]:
    """run.json of a run that ends at the quality gate (no trial evaluated)."""
    return {
        "run_id": run_id,
        "as_of": s.as_of.isoformat(),
        "started_at": started_at.isoformat(timespec="seconds"),
        "finished_at": datetime.now().isoformat(timespec="seconds"),
        "extracts": str(s.extracts),
        "inputs": files,
        "staging_rows": checked["staging_counts"],
    }


@flow(name="validate")
def validate_flow(
    extracts: Path | None = None,
    warehouse: Path | None = None,
    out: Path | None = None,
    as_of: date | None = None,
) -> dict[str, Any]:
    """Ingest a drop and run the data-quality gate, without evaluating any trial.

    The Data Docs and a run.json go to `OUT/_validation/<run_id>/` whatever the outcome;
    a failed `error` check raises ValidationFailed after they are written.
    """
    from pipelines import quality

    s = _settings(extracts=extracts, warehouse=warehouse, out=out, as_of=as_of)
    run_id = runs.new_run_id()
    started_at = datetime.now()
    work_dir = quality.work_dir_for(s.out, run_id)
    evidence = s.out / quality.VALIDATION_DIR / run_id
    with run_lock(s.warehouse, f"validate run {run_id}", s.lock_wait_seconds):
        try:
            files = _ingest(s.extracts, s.warehouse, run_id)
            checked = _quality(s.warehouse, s.as_of, run_id, work_dir, s.dq_batch_rows)
            payload = _evidence_payload(s, run_id, started_at, files, checked)
            validation = gate_validation(checked["checks"], evidence, work_dir, payload)
            quality.keep_evidence(
                evidence, work_dir, {**payload, "status": validation["status"]}, checked["checks"]
            )
        finally:
            quality.discard_work(work_dir)
    return {"run_id": run_id, "files": files, "validation": validation, "folder": str(evidence)}
