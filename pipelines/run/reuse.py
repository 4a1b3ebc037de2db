"""A re-scan with no new file reuses what the last run made instead of making it again.

Two levels, both keyed by a fingerprint of everything the reused result was made of:

- the last run's exports. A scan that loads no file, when the last run succeeded with
  the same `run_fingerprint` (files loaded, full refreshes, as-of date, trials and their
  files, the trials' screening events, all the code, SQL, templates and expectations,
  the small-count threshold, the
  versions of the libraries that write the files) and every file of each of its export
  folders still has the sha256 its run.json records, records itself as a run that
  reused them (`record_reused_run`): its own run.json and changes.csv (no change) in
  those folders, its row in `runs` and the check results of the run it reused under its
  own id. Nothing is staged, validated, evaluated or exported again: the warehouse's
  staged tables and criteria results are still those the reused run made (nothing but a
  run changes them, and no run came in between). The patient statuses are not recorded
  again (200 000 rows at 100k patients, 2 s): the next run's changes.csv compares with
  the latest run that recorded them, whose statuses these are.
- the validated staging. Staging and the data-quality gate are functions of what they
  read: the files loaded (`load_ledger`), the full refreshes declared, the as-of date the
  checks compare with, and the code and reference data (staging SQL, macros, reference
  CSVs, expectations, the Python that runs them). `fingerprint` hashes all of these. A
  scan that loads no file and finds the fingerprint of the last run whose gate passed
  skips validating and staging again: the staged tables in the warehouse are those that
  run built and validated, its check results are recorded again under the new run, and
  its Data Docs (kept beside the warehouse file, in `<warehouse>.validated/`) go with the
  exports. Criteria and exports then run again (a trial, the code or an export folder
  changed).

Anything else (a new file, a full refresh, another as-of date, an edited SQL or CSV
file, Data Docs gone) runs the stages it affects in full.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb

from pipelines.criteria.trials import Trial
from pipelines.errors import CohortscanError
from pipelines.exports.write import copy_to, export_sql, trial_schema
from pipelines.files import sha256_file, write_json
from pipelines.run import history as runs
from pipelines.settings import SQL_DIR
from pipelines.warehouse.connect import ident
from pipelines.warehouse.fingerprint import (
    PACKAGE_DIR,
    screening_fingerprint,
    staging_fingerprint,
    update_with_files,
)

PROJECT_DIR = SQL_DIR.parent


def kept_dir(warehouse: Path) -> Path:
    """Where the Data Docs of the last validated staging are kept: beside the warehouse."""
    return warehouse.with_name(warehouse.name + ".validated")


fingerprint = staging_fingerprint  # the validated staging's key (see pipelines/warehouse/fingerprint.py)


def find(con: duckdb.DuckDBPyConnection, key: str, kept: Path, work_dir: Path) -> dict[str, Any] | None:
    """The validated staging recorded under `key`, its Data Docs copied to
    `work_dir/data_docs` from `kept` (see `kept_dir`); None when there is none (or its Data Docs are gone)."""
    row = con.execute(
        "select run_id, staging_counts, checks from validated_staging where fingerprint = ? "
        "order by recorded_at desc limit 1",
        [key],
    ).fetchone()
    docs = kept / "data_docs"
    if row is None or not (docs / "index.html").is_file():
        return None
    shutil.rmtree(work_dir / "data_docs", ignore_errors=True)
    shutil.copytree(docs, work_dir / "data_docs")
    return {"run_id": row[0], "staging_counts": json.loads(row[1]), "checks": json.loads(row[2])}


def remember(
    con: duckdb.DuckDBPyConnection,
    key: str,
    run_id: str,
    staging_counts: dict[str, int],
    checks: list[dict[str, Any]],
    work_dir: Path,
    kept: Path,
) -> None:
    """Record that the staging of `key` passed the gate in `run_id`; keep its Data Docs.

    Only the latest validated staging is kept: the staged tables are rebuilt in place, so
    an older fingerprint no longer describes them.
    """
    shutil.rmtree(kept, ignore_errors=True)
    shutil.copytree(work_dir / "data_docs", kept / "data_docs")
    con.execute("delete from validated_staging")
    con.execute(
        "insert into validated_staging values (?, ?, ?, ?, ?)",
        [
            key,
            run_id,
            datetime.now(),
            json.dumps(staging_counts),
            json.dumps(checks, default=str),
        ],
    )


# Everything that shapes a run's exports besides the warehouse's tables and the trials'
# folders: all the code, SQL, templates and expectations, and the libraries that write.
_RUN_SOURCES = (PACKAGE_DIR, SQL_DIR, PROJECT_DIR / "expectations")
_LIBRARIES = ("cohortscan", "duckdb", "great-expectations", "pandas", "plotly", "jinja2")


def run_fingerprint(
    con: duckdb.DuckDBPyConnection, as_of: date, trials: list[Trial], min_cell_count: int
) -> str:
    """sha256 of everything a run's exports are made of (see the module docstring)."""
    digest = hashlib.sha256(fingerprint(con, as_of).encode())
    for trial in trials:
        digest.update(f"trial={trial.id}\n{sorted(trial.checksums().items())!r}\n".encode())
        digest.update(f"{screening_fingerprint(con, trial.id)}\n".encode())
    digest.update(f"min_cell_count={min_cell_count}\n".encode())
    for name in _LIBRARIES:
        try:
            digest.update(f"{name}=={metadata.version(name)}\n".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name} missing\n".encode())
    update_with_files(digest, _RUN_SOURCES)
    return digest.hexdigest()


def reusable_run(
    con: duckdb.DuckDBPyConnection, key: str, run_id: str, out: Path, trial_ids: list[str], as_of: date
) -> dict[str, Any] | None:
    """The run before `run_id`, when it succeeded with fingerprint `key` and the export
    folder of each trial under `out` still holds its run.json and every file with the
    sha256 that run.json records: {"run_id", "summary", "infos": {trial: run.json}};
    else None."""
    row = con.execute(
        "select run_id, status, summary from runs where run_id <> ? "
        "order by started_at desc, run_id desc limit 1",
        [run_id],
    ).fetchone()
    if row is None or row[1] != "succeeded" or not row[2]:
        return None
    summary = json.loads(row[2])
    if summary.get("fingerprint") != key:
        return None
    infos = {}
    for trial_id in trial_ids:
        folder = out / trial_id / as_of.isoformat()
        if (
            summary.get("folders", {}).get(trial_id) != str(folder)
            or _evaluated_as_of(con, trial_id) != as_of
        ):
            return None
        try:
            info = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        recorded = info.get("exports_sha256")
        if info.get("run_id") != row[0] or not recorded or not _intact(folder, recorded):
            return None
        infos[trial_id] = info
    return {"run_id": row[0], "summary": summary, "infos": infos}


def _evaluated_as_of(con: duckdb.DuckDBPyConnection, trial_id: str) -> date | None:
    """The as-of date of the trial's evaluation in the warehouse (its criteria results)."""
    try:
        row = con.execute(f"select as_of from {ident(trial_id)}.run_context").fetchone()
    except duckdb.Error:
        return None
    return row[0] if row else None


def _intact(folder: Path, recorded: dict[str, str]) -> bool:
    for name, sha in recorded.items():
        path = folder / name
        if not path.is_file() or sha256_file(path) != sha:
            return False
    return True


def record_reused_run(
    con: duckdb.DuckDBPyConnection,
    previous: dict[str, Any],
    *,
    run_id: str,
    trials: list[Trial],
    as_of: date,
    extracts: Path,
    started_at: datetime,
    files: list[dict[str, Any]],
    timings: dict[str, float],
    fingerprint: str,
) -> dict[str, Any]:
    """Record `run_id` as a run that reused the exports of `previous` (see `reusable_run`);
    return the scan's result, as a scan that made them returns it.

    In each export folder, changes.csv (no patient changed: header only) and then
    run.json are replaced, each atomically: run.json names this run, its inputs and
    timings, and `reused_from`, the run that made the exports (also named by
    feasibility.json); the rest is the reused run's. The run is recorded as succeeded
    last, so a run stopped half-way is never reused (the folder's run.json no longer
    names a succeeded run).
    """
    made_by = next(iter(previous["infos"].values())).get("reused_from") or previous["run_id"]
    folders, results, validation = {}, {}, None
    for trial in trials:
        info = previous["infos"][trial.id]
        folder = Path(previous["summary"]["folders"][trial.id])
        changes = folder / ".changes.csv.tmp"
        with trial_schema(con, trial):
            copy_to(con, f"select * from ({export_sql('changes')}) limit 0", [], changes)
        os.replace(changes, folder / "changes.csv")
        validation = {
            **info["validation"],
            "reused_from": info["validation"].get("reused_from") or made_by,
        }
        new_info = runs.run_info(
            run_id=run_id,
            trial=trial,
            as_of=as_of,
            extracts=extracts,
            started_at=started_at,
            files=files,
            staging_counts=info["staging_rows"],
            statuses=info["statuses"],
            funnel=info["funnel"],
            validation=validation,
            timings=timings,
        )
        new_info["reused_from"] = made_by
        new_info["exports_sha256"] = {
            **info["exports_sha256"],
            "changes.csv": sha256_file(folder / "changes.csv"),
        }
        write_json(folder / "run.json", new_info)
        folders[trial.id] = str(folder)
        results[trial.id] = {"statuses": info["statuses"], "funnel": info["funnel"]}
    con.execute(
        "insert into dq_results select * replace (? as run_id, now()::timestamp as checked_at) "
        "from dq_results where run_id = ? order by rowid",
        [run_id, previous["run_id"]],
    )
    summary = runs.run_summary(
        full_refresh=False,
        files=files,
        validation=validation,
        trials=results,
        timings=timings,
        folders=folders,
        fingerprint=fingerprint,
        reused_from=made_by,
    )
    runs.finish_run(con, run_id, "succeeded", None, summary)
    return {
        "run_id": run_id,
        "as_of": as_of.isoformat(),
        "folders": folders,
        "files": files,
        "validation": validation,
        "trials": results,
        "timings": timings,
        "reused_from": made_by,
    }


def drop_seen_before(warehouse: Path, extracts: Path) -> bool:
    """Whether every file of the drop was seen before, by name and size, in `load_ledger`:
    a hint that a scan will load nothing (ingest decides, by content); False when the
    warehouse cannot tell (new, or in use)."""
    from pipelines.warehouse.connect import open_warehouse

    if not warehouse.is_file():
        return False
    files = {
        (p.name, p.stat().st_size) for p in extracts.iterdir() if p.is_file() and not p.name.startswith(".")
    }
    try:
        with open_warehouse(warehouse, read_only=True) as con:
            seen = set(con.execute("select distinct file_name, size_bytes from load_ledger").fetchall())
    except (OSError, duckdb.Error, CohortscanError):
        return False
    return files <= seen
