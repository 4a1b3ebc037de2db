"""Run history: one row per scan in the warehouse table `runs`, and run.json's content."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from pipelines.settings import SQL_DIR
from pipelines.trials import Trial


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


def list_runs(con: duckdb.DuckDBPyConnection, limit: int = 20) -> list[tuple]:
    """The latest runs, newest first."""
    return con.execute(
        "select run_id, started_at, ended_at, trials, as_of, status, message "
        "from runs order by started_at desc limit ?",
        [limit],
    ).fetchall()


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
) -> dict[str, Any]:
    """The content of run.json for one trial of a run."""
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
        "timings_seconds": timings,
        "provenance": sql_checksums(trial),
    }
