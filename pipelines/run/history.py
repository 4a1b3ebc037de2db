"""Run history: one row per scan in the warehouse table `runs`, and run.json's content."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from pipelines.criteria.trials import Trial
from pipelines.settings import SQL_DIR

STATUS_ORDER = ("eligible", "potential", "ineligible")


def new_run_id(now: datetime | None = None) -> str:
    """Sortable, unique: 20261126T021500-3f9a1c."""
    now = now or datetime.now()
    return f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def start_run(
    con: duckdb.DuckDBPyConnection, run_id: str, trials: list[str], as_of: date, extracts: Path
) -> None:
    """Record a run as started."""
    con.execute(
        "insert into runs (run_id, started_at, trials, as_of, extracts, status) "
        "values (?, ?, ?, ?, ?, 'running')",
        [run_id, datetime.now(), trials, as_of, str(extracts)],
    )


def finish_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    status: str,
    message: str | None = None,
    summary: dict[str, Any] | None = None,
) -> None:
    """Record how a run ended (succeeded, refused, failed)."""
    con.execute(
        "update runs set ended_at = ?, status = ?, message = ?, summary = ? where run_id = ?",
        [datetime.now(), status, message, json.dumps(summary or {}, default=str), run_id],
    )


def mark_crashed(con: duckdb.DuckDBPyConnection, found_by: str) -> list[str]:
    """Mark runs still 'running' as 'crashed'; return their ids.

    Called at the start of a scan while it holds the run lock: no other scan can be
    running then, so a 'running' row is a run whose process died (killed, machine down).
    """
    rows = con.execute(
        "update runs set status = 'crashed', message = ? where status = 'running' returning run_id",
        [f"the process ended before the run finished (found by run {found_by})"],
    ).fetchall()
    return sorted(r[0] for r in rows)


def declare_full_refresh(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Record that a run's drop is a full refresh (see sql/staging/stg_retired_loads.sql)."""
    con.execute("insert or ignore into full_refreshes values (?, ?)", [run_id, datetime.now()])


def run_summary(
    *,
    full_refresh: bool,
    files: list[dict[str, Any]] | None = None,
    validation: dict[str, Any] | None = None,
    trials: dict[str, dict[str, Any]] | None = None,
    timings: dict[str, float] | None = None,
    folders: dict[str, str] | None = None,
    fingerprint: str | None = None,
    reused_from: str | None = None,
) -> dict[str, Any]:
    """What `runs.summary` keeps of a run: counts, validation outcome, funnels, timings,
    export folders, the fingerprint of its inputs and the run whose exports it reused
    (pipelines/run/reuse.py).

    Only counts and names: never a patient's data. Parts a failed run did not reach are
    left out.
    """
    summary: dict[str, Any] = {"full_refresh": full_refresh}
    if files is not None:
        summary["files"] = {s: sum(f["status"] == s for f in files) for s in ("loaded", "skipped", "refused")}
        summary["rows"] = {k: sum(f[f"rows_{k}"] for f in files) for k in ("read", "loaded", "quarantined")}
    if validation is not None:
        summary["validation"] = validation.get("status")
    if trials is not None:
        summary["trials"] = {
            trial_id: {
                "statuses": result["statuses"],
                "funnel": [{"step": s["step"], "remaining": s["remaining"]} for s in result["funnel"]],
            }
            for trial_id, result in trials.items()
        }
    if timings is not None:
        summary["timings"] = timings
    if folders is not None:
        summary["folders"] = folders
    if fingerprint is not None:
        summary["fingerprint"] = fingerprint
    if reused_from is not None:
        summary["reused_from"] = reused_from
    return summary


def list_runs(con: duckdb.DuckDBPyConnection, limit: int = 20) -> list[dict[str, Any]]:
    """The latest runs, newest first, each as a dict (summary parsed)."""
    cursor = con.execute(
        "select run_id, started_at, ended_at, trials, as_of, status, message, summary "
        "from runs order by started_at desc, run_id desc limit ?",
        [limit],
    )
    names = [d[0] for d in cursor.description]
    runs = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    for run in runs:
        run["summary"] = json.loads(run["summary"]) if run["summary"] else {}
    return runs


def describe_run(run: dict[str, Any]) -> list[str]:
    """A run as a few lines for `cohortscan runs`: what, when, outcome, counts, funnel."""
    started, ended = run["started_at"], run["ended_at"]
    took = f"{(ended - started).total_seconds():.1f}s" if ended else "-"
    head = (
        f"{run['run_id']}  {started:%Y-%m-%d %H:%M:%S}  {took:>7}  as-of {run['as_of']}  "
        f"{','.join(run['trials'] or [])}  {run['status']}"
    )
    summary = run["summary"]
    if summary.get("full_refresh"):
        head += "  (full refresh)"
    lines = [head]
    if run["message"]:
        lines.append(f"    {run['message']}")
    if summary.get("reused_from"):
        lines.append(f"    no new file, nothing changed: reused the exports of run {summary['reused_from']}")
    if "files" in summary:
        files, rows = summary["files"], summary["rows"]
        lines.append(
            f"    files {files['loaded']} loaded, {files['skipped']} skipped, {files['refused']} refused; "
            f"rows {rows['loaded']} loaded, {rows['quarantined']} quarantined; "
            f"validation {summary.get('validation', '-')}"
        )
    for trial_id, result in summary.get("trials", {}).items():
        statuses = result["statuses"]
        order = sorted(statuses, key=lambda s: (STATUS_ORDER.index(s) if s in STATUS_ORDER else 9, s))
        counts = ", ".join(f"{statuses[s]} {s}" for s in order)
        funnel = result["funnel"]
        first = f"{funnel[0]['remaining']} patients -> " if funnel else ""
        lines.append(f"    {trial_id}: {first}{counts}")
    return lines


def sql_checksums(trial: Trial) -> dict[str, str]:
    """Checksums of every rule file a trial's results depend on (provenance)."""
    shared = {}
    for folder in ("shared", "staging", "cohort", "ingest"):
        for path in sorted((SQL_DIR / folder).rglob("*")):
            if path.is_file():
                shared[str(path.relative_to(SQL_DIR))] = hashlib.sha256(path.read_bytes()).hexdigest()
    trial_files = {f"trials/{trial.id}/{k}": v for k, v in trial.checksums().items()}
    return {**shared, **trial_files}


def run_info(
    *,
    run_id: str,
    trial: Trial,
    as_of: date,
    extracts: Path,
    started_at: datetime,
    files: list[dict[str, Any]],
    staging_counts: dict[str, int],
    statuses: dict[str, int],
    funnel: list[dict[str, Any]],
    validation: dict[str, Any],
    timings: dict[str, float],
    evaluation: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The content of run.json for one trial of a run (`evaluation`: how its criteria
    were evaluated, full or incremental, with the patients re-evaluated and why)."""
    return {
        "run_id": run_id,
        "trial": {"id": trial.id, "title": trial.title},
        "as_of": as_of.isoformat(),
        "started_at": started_at.isoformat(timespec="seconds"),
        "finished_at": datetime.now().isoformat(timespec="seconds"),
        "extracts": str(extracts),
        "inputs": files,
        "totals": {
            "rows_read": sum(f["rows_read"] for f in files),
            "rows_loaded": sum(f["rows_loaded"] for f in files),
            "rows_quarantined": sum(f["rows_quarantined"] for f in files),
            "files_loaded": sum(f["status"] == "loaded" for f in files),
            "files_skipped": sum(f["status"] == "skipped" for f in files),
            "files_refused": sum(f["status"] == "refused" for f in files),
        },
        "staging_rows": staging_counts,
        "validation": validation,
        "statuses": statuses,
        "funnel": funnel,
        "evaluation": evaluation or {},
        "timings_seconds": timings,
        "provenance": sql_checksums(trial),
    }
