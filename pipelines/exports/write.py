"""Exports under `OUT/<trial_id>/<as_of>/`, written atomically.

Every file of a run is first written into a hidden sibling folder; the folder is then
renamed into place, so a reader sees either the previous complete folder or the new
complete one, never half a file. Tables stream from DuckDB with COPY: nothing is pulled
into pandas; the per-trial queries are SQL files (`sql/exports/`). A run's folder holds
candidates, criteria (criteria.parquet: every patient x criterion; criteria.csv: the
candidates' rows only), changes.csv (against the previous successful run, from the
trial's `cohort_changes` view), the screening exports (worklist.csv/.html,
screening_log.csv, research_subjects.ndjson: see pipelines/exports/screening.py),
feasibility.json/.html (small counts suppressed, see pipelines/exports/feasibility.py)
and run.json, which records the sha256 of every other file of the folder. Files written
later beside a run (what-ifs) go through `pipelines.files`: a temporary file, then a
rename.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from pipelines import files
from pipelines.criteria.trials import Trial
from pipelines.exports import feasibility
from pipelines.exports import screening as screening_exports
from pipelines.settings import SQL_DIR
from pipelines.warehouse.connect import ident, read_sql, scalar

# Views of a trial that several of its exports read, computed once per export
# (`shared_views`): patient_diseases (candidates, and the feasibility views through
# cohort_patient_groups) and cohort_criteria_tally, the grouping of criteria_results
# behind cohort_decisions (candidates through cohort_ranking, changes, the feasibility
# counts by status and potential reasons). cohort_decisions itself stays a view: its
# expressions leave score and unmet_or_unknown nullable, as candidates.parquet declares
# them (read from a table holding no null, DuckDB would write them as required columns).
SHARED_VIEWS = ("patient_diseases", "cohort_criteria_tally")

# Files of a run's folder that may leave the site (small counts suppressed): ordinary
# modes; every other file is private (pipelines/files.py).
PUBLIC_FILES = ("feasibility.json", "feasibility.html")

# The per-trial queries of the exports, one SQL file each (sql/exports/), read inside the
# trial's schema (`trial_query`): candidates (one status column per criterion of the
# manifest), criteria (every patient x criterion) and changes.
EXPORTS_SQL_DIR = SQL_DIR / "exports"


def export_sql(name: str) -> str:
    """The query of `sql/exports/<name>.sql` (candidates, criteria or changes)."""
    return read_sql(EXPORTS_SQL_DIR / f"{name}.sql")


@contextmanager
def trial_schema(con: duckdb.DuckDBPyConnection, trial: Trial) -> Iterator[None]:
    """Resolve unqualified names to the trial's schema for the time of the block (the
    export queries name its tables and views unqualified); temporary tables still come
    first (see `shared_views`)."""
    previous = scalar(con, "select current_schema()")
    con.execute(f"set schema = '{trial.id}'")
    try:
        yield
    finally:
        con.execute(f"set schema = '{previous}'")


@contextmanager
def shared_views(con: duckdb.DuckDBPyConnection, trial: Trial, names: Sequence[str]) -> Iterator[None]:
    """Compute the trial's views `names` (SHARED_VIEWS) once, for the time of the block.

    Each view is stored in a temporary table of the same name. DuckDB resolves a name
    inside a view's query to a temporary table of that name first, so the trial's views
    (cohort_decisions, cohort_patient_groups and every view reading them) read the stored
    rows instead of computing the view again for every export. The tables hold the views'
    rows (`select *`), so every export is what the views give; they are dropped on the
    way out, before any other trial's views could read them. A view the trial's schema
    lacks (evaluated by an earlier version, before cohort_criteria_tally) is left out:
    no view of that schema reads it.
    """
    schema = ident(trial.id)
    present = {
        name
        for (name,) in con.execute(
            "select view_name from duckdb_views() where database_name = current_database() "
            "and schema_name = ? and view_name in ?",
            [trial.id, list(names)],
        ).fetchall()
    }
    try:
        for name in [n for n in names if n in present]:
            con.execute(f"create or replace temp table {ident(name)} as select * from {schema}.{ident(name)}")
        yield
    finally:
        for name in names:
            con.execute(f"drop table if exists temp.main.{ident(name)}")


def copy_to(con: duckdb.DuckDBPyConnection, query: str, params: list, path: Path) -> None:
    """Stream a query to CSV or Parquet (by the file's suffix)."""
    fmt = "parquet" if path.suffix == ".parquet" else "csv"
    options = "(format parquet)" if fmt == "parquet" else "(format csv, header true)"
    con.execute(f"copy ({query}) to '{_sql_path(path)}' {options}", params)


def copy_parquet_and_csv(
    con: duckdb.DuckDBPyConnection, query: str, params: list, parquet: Path, csv: Path
) -> None:
    """Stream a query to Parquet, then the Parquet file to CSV: the query (a join, a sort)
    runs once. DuckDB reads the file back in the order it was written (insertion order is
    preserved), and Parquet keeps each column's type, so the CSV is the query's CSV."""
    copy_to(con, query, params, parquet)
    copy_to(con, f"select * from read_parquet('{_sql_path(parquet)}')", [], csv)


def copy_candidate_rows(con: duckdb.DuckDBPyConnection, rows: Path, candidates: Path, csv: Path) -> None:
    """Write to CSV the rows of the Parquet file `rows` whose patient is in the Parquet
    file `candidates` (eligible and potential patients), in the order of `rows` and with
    its columns. criteria.csv is the list coordinators open: every patient x criterion
    stays in criteria.parquet, whose CSV would outgrow the drop itself (1.46 GB for a
    drop of 490,000 patients, issue 20)."""
    query = (
        f"select * exclude (file_row_number) from read_parquet('{_sql_path(rows)}', file_row_number = true) "
        f"where patient_id in (select patient_id from read_parquet('{_sql_path(candidates)}')) "
        "order by file_row_number"
    )
    copy_to(con, query, [], csv)


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def file_checksums(folder: Path) -> dict[str, str]:
    """sha256 of every file under a run's folder but run.json, which records them (a
    re-scan checks them before it reuses the folder: pipelines/run/reuse.py)."""
    return files.file_checksums(folder, skip=("run.json",))


def record_statuses(con: duckdb.DuckDBPyConnection, trial: Trial, run_id: str) -> int:
    """Record this run's statuses for the next run's changes.csv; return the rows added.

    Only what changed since the previous successful run is stored (the trial's view
    `cohort_status_delta`: a row per patient whose status, site or a criterion status
    changed, or who came or left), and one `patient_status_runs` row saying the run
    recorded its statuses. Idempotent for a run (a retried export replaces its rows); a
    run's rows are read as "previous" only once the run is recorded as succeeded in `runs`.
    """
    schema = ident(trial.id)
    con.execute("begin transaction")
    try:
        for table in ("patient_status_history", "patient_status_runs"):
            con.execute(f"delete from main.{table} where run_id = ? and trial_id = ?", [run_id, trial.id])
        con.execute(
            "insert into main.patient_status_history "
            "(run_id, trial_id, as_of, patient_id, site_id, status, criteria) "
            "select ?, trial_id, as_of, patient_id, site_id, status, criteria "
            f"from {schema}.cohort_status_delta",
            [run_id],
        )
        changed = scalar(
            con,
            "select count(*) from main.patient_status_history where run_id = ? and trial_id = ?",
            [run_id, trial.id],
        )
        con.execute(
            "insert into main.patient_status_runs "
            "(run_id, trial_id, as_of, patients, changed, full_snapshot) "
            f"select ?, trial_id, as_of, (select count(*) from {schema}.cohort_decisions), ?, false "
            f"from {schema}.run_context",
            [run_id, changed],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return changed


class RunFolder:
    """A run's export folder, built aside and moved into place on `commit()`."""

    def __init__(self, out: Path, trial_id: str, as_of: str, run_id: str, group: str | None = None) -> None:
        self.final = out / trial_id / as_of
        self.staging = out / trial_id / f".{as_of}.partial-{run_id}"
        self.group = group

    def __enter__(self) -> RunFolder:
        files.private_dir(self.staging.parent, self.group)
        self.staging.mkdir(exist_ok=False, mode=files.modes(self.group)[1])
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            shutil.rmtree(self.staging, ignore_errors=True)

    def path(self, name: str) -> Path:
        return self.staging / name

    def commit(self) -> Path:
        """Swap the finished folder into place; the previous one is removed after.

        Everything in it is first made private (patient-level files for site staff), but
        the feasibility report, meant to leave the site, which keeps the ordinary mode."""
        files.restrict(self.staging, self.group)
        for name in PUBLIC_FILES:
            if (self.staging / name).exists():
                files.make_ordinary(self.staging / name)
        old = self.final.with_name(f".{self.final.name}.old-{self.staging.name.rsplit('-', 1)[-1]}")
        if self.final.exists():
            os.replace(self.final, old)
        os.replace(self.staging, self.final)
        shutil.rmtree(old, ignore_errors=True)
        return self.final


def clean_partials(out: Path) -> None:
    """Tidy up after a run killed while exporting: half-written folders are removed; a
    previous folder set aside by `commit()` goes back into place if the new one never
    arrived, and is removed otherwise."""
    if not out.is_dir():
        return
    for leftover in out.glob("*/.*.partial-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    for leftover in out.glob("*/.*.old-*"):
        final = leftover.with_name(leftover.name[1:].rsplit(".old-", 1)[0])
        if final.exists():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            os.replace(leftover, final)


def write_trial_exports(
    con: duckdb.DuckDBPyConnection,
    trial: Trial,
    out: Path,
    as_of: str,
    run_id: str,
    run_info: dict[str, Any],
    min_cell_count: int | None = None,
    data_docs: Path | None = None,
) -> Path:
    """Write one trial's exports (see module docstring); return the final folder.

    `data_docs`, when given, is the run's Great Expectations Data Docs site, copied in
    as `data_docs/` (pipelines/checks/gate.py).

    Also records this run's per-patient statuses, read by the next run's changes.csv.
    `min_cell_count` defaults to the setting (COHORTSCAN_MIN_CELL_COUNT, else 11).
    """
    settings = _settings()
    if min_cell_count is None:
        min_cell_count = settings.min_cell_count
    with (
        RunFolder(out, trial.id, as_of, run_id, settings.private_group) as folder,
        shared_views(con, trial, SHARED_VIEWS),
    ):
        with trial_schema(con, trial):
            copy_parquet_and_csv(
                con,
                export_sql("candidates"),
                [],
                folder.path("candidates.parquet"),
                folder.path("candidates.csv"),
            )
            copy_to(con, export_sql("criteria"), [], folder.path("criteria.parquet"))
            copy_to(con, export_sql("changes"), [], folder.path("changes.csv"))
        copy_candidate_rows(
            con,
            folder.path("criteria.parquet"),
            folder.path("candidates.parquet"),
            folder.path("criteria.csv"),
        )
        screening_exports.write_screening_exports(
            con, trial, folder.staging, as_of, run_id, settings.private_group
        )
        feasibility.write_feasibility(
            con,
            trial,
            run_info,
            folder.path("feasibility.json"),
            folder.path("feasibility.html"),
            min_cell_count,
        )
        if data_docs is not None:
            shutil.copytree(data_docs, folder.path("data_docs"))
        run_info = {**run_info, "exports_sha256": file_checksums(folder.staging)}
        files.write_json(folder.path("run.json"), run_info)
        record_statuses(con, trial, run_id)
        return folder.commit()


def _settings():
    from pipelines.settings import Settings

    return Settings()
