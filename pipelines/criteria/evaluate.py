"""Evaluate a trial inside the warehouse: one schema per trial.

For a trial `t`, schema `t` holds: `run_context` (the as-of date), `params` (every
parameter with its value for this evaluation), `valuesets`, `criteria_manifest`, the
macros of `sql/cohort/trial_macros.sql`, the view `patient_diseases`, one view
`crit_<id>` per criterion, the table `criteria_results` (every patient x every
criterion, materialised once), the views of COHORT_VIEWS (`cohort_decisions`,
`cohort_eligibility`, `cohort_ranking`, `cohort_funnel`, ...), the screening views of
SCREENING_VIEWS and `evaluation` (the
fingerprint of what this evaluation read, see `fingerprint`). A what-if changes
parameter values and re-materialises the criteria that read them inside a transaction
that is rolled back (`pipelines/tools/whatif.py`).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from datetime import date
from pathlib import Path

import duckdb

from pipelines.criteria import incremental
from pipelines.criteria.incremental import AS_OF_TOKEN, Plan
from pipelines.criteria.trials import Criterion, Trial
from pipelines.errors import TrialConfigError
from pipelines.settings import SQL_DIR
from pipelines.staging.build import STAGING_ORDER
from pipelines.warehouse import fingerprint as fingerprints
from pipelines.warehouse.connect import ident, read_sql, run_sql_file, scalar

COHORT_DIR = SQL_DIR / "cohort"
# The fixed-shape tables of a trial's schema, one DDL file each.
TABLES_DIR = COHORT_DIR / "tables"
# Coordinators' screening decisions (pipelines/screening/, table screening_events): the
# view that picks the decisions applying to an evaluation, read while the criteria are
# materialised, and the views of the screening state, worklist and log built on the
# eligibility views, in dependency order. States and reasons are data (SCREENING_DATA).
SCREENING_DIR = SQL_DIR / "screening"
SCREENING_DATA = SCREENING_DIR / "data"
DECISIONS_VIEW = "screening_criterion_decisions"
SCREENING_VIEWS = ("screening_patient_state", "screening_worklist", "screening_log")
# In dependency order. The funnel/status/reasons views by group feed the feasibility
# report (pipelines/exports/feasibility.py); cohort_changes feeds changes.csv, and
# cohort_status_delta the rows of patient_status_history (from cohort_previous_status).
COHORT_VIEWS = (
    "cohort_criteria_tally",
    "cohort_decisions",
    "cohort_eligibility",
    "cohort_ranking",
    "cohort_attrition",
    "cohort_funnel",
    "cohort_patient_groups",
    "cohort_funnel_by_group",
    "cohort_status_by_group",
    "cohort_potential_reasons",
    "cohort_patient_status",
    "cohort_previous_run",
    "cohort_previous_status",
    "cohort_status_delta",
    "cohort_changes",
)
STATUSES = ("met", "not_met", "unknown", "manual")
# Seconds between two progress lines while a trial's criteria are materialised (a 1M-patient
# drop spends minutes there; a small one never reports).
PROGRESS_EVERY_SECONDS = 15.0


def evaluate_trial(
    con: duckdb.DuckDBPyConnection,
    trial: Trial,
    as_of: date,
    overrides: Mapping[str, float | str] | None = None,
    progress: Callable[[str], None] | None = None,
    full: bool = False,
) -> dict[str, int]:
    """Build the trial's schema and materialise its criteria; return status counts.
    `progress`, when given, gets a line now and then while the criteria are materialised
    (see `materialise_criteria`). The stored evaluation is brought up to date
    incrementally when it can be (`pipelines/criteria/incremental.py`), unless `full`;
    `last_plan` tells which way it went."""
    schema = trial.id
    con.execute(f"create schema if not exists {ident(schema)}")
    key = incremental.incremental_key(trial, _param_rows(trial, overrides or {}), _CODE_DIRS)
    how = incremental.plan(con, trial, as_of, key, full)
    stored_as_of = _stored_as_of(con, trial) if how.mode == "incremental" else None
    con.execute(f"set schema = '{schema}'")
    try:
        # No fingerprint until the evaluation is complete: a failed one is never "current".
        create_table(con, "evaluation")
        _write_context(con, trial, as_of, overrides or {})
        run_sql_file(con, COHORT_DIR / "trial_macros.sql")
        con.execute(f"create or replace view patient_diseases as {read_sql(trial.diseases_file)}")
        for criterion in trial.criteria:
            view = ident(f"crit_{criterion.id}")
            try:
                con.execute(f"create or replace view {view} as {read_sql(criterion.file)}")
            except duckdb.Error as err:
                raise TrialConfigError(f"{criterion.file}: {str(err).splitlines()[0]}") from None
        how.no_changes_on = without_changes_on(con, trial)
        if how.mode == "incremental":
            update_criteria(con, trial, as_of, how, stored_as_of != as_of)
        else:
            materialise_criteria(con, trial, progress)
        _create_views(con, COHORT_DIR, COHORT_VIEWS)
        _create_views(con, SCREENING_DIR, SCREENING_VIEWS)
        incremental.record_state(con, as_of, key)
        _record_plan(con, how)
        con.execute("insert into evaluation values (?)", [fingerprint(con, trial, as_of)])
    finally:
        con.execute("set schema = 'main'")
    return status_counts(con, trial)


# What an incremental evaluation must share with the stored one besides the trial's folder
# and the staging code (see incremental.incremental_key).
_CODE_DIRS = (COHORT_DIR, SCREENING_DIR, Path(__file__).parent)


def _stored_as_of(con: duckdb.DuckDBPyConnection, trial: Trial) -> date:
    return scalar(con, f"select as_of from {ident(trial.id)}.evaluation_state")


def _record_plan(con: duckdb.DuckDBPyConnection, how: Plan) -> None:
    """Table `evaluation_mode` (current schema): how the last evaluation went (JSON)."""
    con.execute(
        "create or replace table evaluation_mode as select cast(? as json) as summary",
        [json.dumps(how.summary(), sort_keys=True)],
    )


def last_plan(con: duckdb.DuckDBPyConnection, trial: Trial) -> dict:
    """How the trial's last evaluation went: {'mode': 'full', 'reason': ...} or the
    incremental counts (`incremental.Plan.summary`)."""
    text = scalar(con, f"select summary from {ident(trial.id)}.evaluation_mode")
    return json.loads(text)


def plan_line(trial: Trial, summary: Mapping) -> str:
    """One log line from `last_plan`'s summary (counts only)."""
    missing = summary.get("criteria_without_changes_on") or []
    note = (
        f"; {len(missing)} criteria give no changes_on, evaluated every night: {', '.join(missing)}"
        if missing
        else ""
    )
    if summary.get("mode") != "incremental":
        return f"{trial.id}: full evaluation ({summary.get('reason')}){note}"
    timed = sum(summary["patients_by_time"].values())
    return (
        f"{trial.id}: incremental evaluation ({summary['reason']}): "
        f"{summary['patients_reevaluated']} patients re-evaluated "
        f"({summary['patients_new_data']} with new rows, {summary['patients_screening_events']} "
        f"with screening events; {timed} patient x criterion results due by time); "
        f"{summary['rows_reevaluated']} of {summary['rows_total']} results evaluated again{note}"
    )


def update_criteria(
    con: duckdb.DuckDBPyConnection, trial: Trial, as_of: date, how: Plan, moved: bool
) -> None:
    """Bring the stored `criteria_results` (current schema: the trial's) to `as_of` and
    the staged tables: per criterion, the patients with new rows or screening events and
    those whose result is due to change by time alone are evaluated again; the others
    keep their rows (their evidence re-dated from its template when the date `moved`).
    A criterion due for more than incremental.WHOLE_SHARE of the patients is evaluated
    for every patient, unrestricted (cheaper than restricting most of them). Fills `how`."""
    _create_views(con, SCREENING_DIR, (DECISIONS_VIEW,))
    patients = scalar(con, "select count(*) from main.stg_patients")
    if moved:
        incremental.resolve_kept_evidence(con, as_of)
    incremental.base_scope(con, trial.id, how, as_of)
    con.execute("create or replace temp table incremental_all (patient_id varchar)")
    con.execute(f"create or replace table {incremental.SCOPE_TABLE} (patient_id varchar)")
    try:
        scoped = []
        for criterion in trial.criteria:
            how.by_time[criterion.id] = incremental.criterion_scope(con, criterion.id)
            if (
                scalar(con, f"select count(*) from {incremental.SCOPE_TABLE}")
                > incremental.WHOLE_SHARE * patients
            ):
                how.whole.append(criterion.id)
                con.execute(f"insert into temp.main.incremental_all select * from {incremental.SCOPE_TABLE}")
                con.execute("delete from criteria_results where criterion_id = ?", [criterion.id])
                how.rows += patients
                _evaluate_again(con, criterion, patients)
            else:
                scoped.append(criterion)
        with incremental.shadowed(con, [c.id for c in scoped]):
            for criterion in scoped:
                incremental.criterion_scope(con, criterion.id)
                con.execute(
                    "delete from criteria_results where criterion_id = ? and patient_id in "
                    f"(select s.patient_id from {incremental.SCOPE_TABLE} as s)",
                    [criterion.id],
                )
                con.execute(f"insert into temp.main.incremental_all select * from {incremental.SCOPE_TABLE}")
                how.rows += scalar(con, f"select count(*) from {incremental.SCOPE_TABLE}")
                _evaluate_again(con, criterion, patients)
        how.patients = scalar(con, "select count(distinct patient_id) from temp.main.incremental_all")
    finally:
        incremental.drop_scope(con)
    how.total_rows = patients * len(trial.criteria)
    how.by_time = {k: v for k, v in how.by_time.items() if v}


def _evaluate_again(con: duckdb.DuckDBPyConnection, criterion: Criterion, patients: int) -> None:
    """Insert `criterion`'s rows (its rows of the patients evaluated again deleted
    before), check the whole criterion, apply the decisions on it."""
    _insert_criterion(con, criterion)
    check_criterion(con, criterion, patients)
    apply_decisions(con, criterion)


def create_table(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Create (or empty) the trial's table `name` in the current schema, as defined in
    `sql/cohort/tables/<name>.sql` (evaluation, params, criteria_manifest,
    criteria_results: one file each, with what a row means)."""
    run_sql_file(con, TABLES_DIR / f"{name}.sql")


def _create_views(con: duckdb.DuckDBPyConnection, folder: Path, names: Sequence[str]) -> None:
    for name in names:
        con.execute(f"create or replace view {name} as {read_sql(folder / f'{name}.sql')}")


def status_counts(con: duckdb.DuckDBPyConnection, trial: Trial) -> dict[str, int]:
    """Patients per eligibility status (from view cohort_decisions)."""
    rows = con.execute(
        f"select status, count(*) from {ident(trial.id)}.cohort_decisions group by status order by status"
    ).fetchall()
    return dict(rows)


def fingerprint(con: duckdb.DuckDBPyConnection, trial: Trial, as_of: date) -> str:
    """sha256 of what an evaluation of `trial` at `as_of` reads besides its parameters.

    The staged data (through `fingerprints.staging_fingerprint`: the loaded files, full refreshes and
    the staging code and reference data, plus the staged tables' row counts), the trial's
    folder (manifest, criteria SQL, value sets), the trial's screening events, the cohort
    and screening SQL folders, this package (pipelines/criteria) and DuckDB's version.
    Equal fingerprints and equal parameters: the stored results are those an evaluation
    would give now, so a what-if can start from them. It assumes the
    staged tables are written only by `staging.build_staging` (a function of what
    `fingerprints.staging_fingerprint` hashes).
    """
    digest = hashlib.sha256(fingerprints.staging_fingerprint(con, as_of).encode())
    counts = [scalar(con, f"select count(*) from main.{ident(t)}") for t in STAGING_ORDER]
    digest.update(repr((counts, trial.id, duckdb.__version__, sorted(trial.checksums().items()))).encode())
    digest.update(fingerprints.screening_fingerprint(con, trial.id).encode())
    fingerprints.update_with_files(digest, (COHORT_DIR, SCREENING_DIR, Path(__file__).parent))
    return digest.hexdigest()


def is_current(
    con: duckdb.DuckDBPyConnection, trial: Trial, as_of: date, values: Mapping[str, float | str]
) -> bool:
    """True when the trial's stored evaluation is for `as_of` and the parameter `values`
    (every one of the trial's) and its fingerprint equals the one of an evaluation now."""
    schema = ident(trial.id)
    with suppress(duckdb.Error):
        stored = scalar(con, f"select fingerprint from {schema}.evaluation")
        stored_as_of = scalar(con, f"select as_of from {schema}.run_context")
        params = con.execute(
            f"select criterion_id, name, value_num, value_text from {schema}.params"
        ).fetchall()
        wanted = {(c, n): (num, text) for c, n, num, text in _param_rows(trial, values)}
        have = {(c, n): (num, text) for c, n, num, text in params}
        if stored is None or stored_as_of != as_of or len(params) != len(have) or have != wanted:
            return False
        return stored == fingerprint(con, trial, as_of)
    return False


def reevaluate_criteria(
    con: duckdb.DuckDBPyConnection,
    trial: Trial,
    values: Mapping[str, float | str],
    criteria: Sequence[Criterion],
) -> None:
    """Set the parameters to `values` and re-materialise `criteria` in `criteria_results`.

    Every other criterion keeps its stored rows: the caller has checked that none of
    them reads a changed parameter (`pipelines/criteria/scope.py`). Views, value sets and
    the cohort views are left as they are; the cohort views read `criteria_results`.
    """
    con.execute(f"set schema = '{trial.id}'")
    try:
        for criterion_id, name, num, text in _param_rows(trial, values):
            con.execute(
                "update params set value_num = ?, value_text = ? where criterion_id = ? and name = ?",
                [num, text, criterion_id, name],
            )
        ids = [c.id for c in criteria]
        if ids:
            con.execute("delete from criteria_results where criterion_id in ?", [ids])
        patients = scalar(con, "select count(*) from stg_patients")
        for criterion in criteria:
            materialise_criterion(con, criterion, patients)
    finally:
        con.execute("set schema = 'main'")


def _write_context(
    con: duckdb.DuckDBPyConnection,
    trial: Trial,
    as_of: date,
    overrides: Mapping[str, float | str],
) -> None:
    con.execute(
        "create or replace table run_context as select cast(? as date) as as_of, ? as trial_id, "
        "strftime(cast(? as date), '%Y-%m-%d') as as_of_label",
        [as_of, trial.id, as_of],
    )
    create_table(con, "params")
    rows = _param_rows(trial, overrides)
    if rows:
        con.executemany("insert into params values (?, ?, ?, ?)", rows)
    create_table(con, "criteria_manifest")
    con.executemany(
        "insert into criteria_manifest values (?, ?, ?, ?, ?)",
        [[c.id, c.kind, c.ordinal, c.weight, c.wording] for c in trial.criteria],
    )
    for table, name in (("screening_states", "states.csv"), ("screening_reasons", "reasons.csv")):
        con.execute(
            f"create or replace table {table} as select * from read_csv(?, header = true, "
            "all_varchar = true)",
            [str(SCREENING_DATA / name)],
        )
    con.execute("alter table screening_states alter level type integer")
    con.execute("alter table screening_states alter closed type boolean")
    files = [str(p) for p in trial.valueset_files.values()]
    con.execute(
        """
        create or replace table valuesets as
        select
            parse_filename(filename, true) as valueset,
            norm_code_system(code_system) as code_system,
            norm_code(code_system, code) as code,
            display,
            coalesce(nullif(lower(trim(match)), ''), 'exact') as match,
            category,
            source
        from read_csv(?, header = true, all_varchar = true, union_by_name = true,
                      filename = true)
        """,
        [files],
    )


def _param_rows(trial: Trial, values: Mapping[str, float | str]) -> list[list]:
    """The rows of table `params`: every parameter of the trial, `values` over the defaults."""
    rows = []
    for key, parameter in trial.parameters.items():
        value = values.get(key, parameter.default)
        if parameter.is_number:
            rows.append([parameter.criterion_id, parameter.name, float(value), None])
        else:
            rows.append([parameter.criterion_id, parameter.name, None, str(value)])
    return rows


def materialise_criteria(
    con: duckdb.DuckDBPyConnection,
    trial: Trial,
    progress: Callable[[str], None] | None = None,
    every: float | None = None,
) -> None:
    """Fill `criteria_results` from every criterion view and check each view's shape.

    With `progress`, a line `<trial>: <k> of <n> criteria evaluated (<s> s; last <id>)`
    whenever `every` seconds (default PROGRESS_EVERY_SECONDS) have passed since the start or
    the previous line (counts and criterion ids only)."""
    every = PROGRESS_EVERY_SECONDS if every is None else every
    create_table(con, "criteria_results")
    _create_views(con, SCREENING_DIR, (DECISIONS_VIEW,))
    patients = scalar(con, "select count(*) from stg_patients")
    started = reported = time.monotonic()
    for done, criterion in enumerate(trial.criteria, start=1):
        materialise_criterion(con, criterion, patients)
        now = time.monotonic()
        if progress is not None and done < len(trial.criteria) and now - reported >= every:
            progress(
                f"{trial.id}: {done} of {len(trial.criteria)} criteria evaluated "
                f"({now - started:.0f} s; last {criterion.id})"
            )
            reported = now


def materialise_criterion(con: duckdb.DuckDBPyConnection, criterion: Criterion, patients: int) -> None:
    """Insert one criterion's rows into `criteria_results` (current schema: the trial's),
    check them (exactly one row per patient, a known status, its own id), then apply the
    coordinators' decisions on it (`apply_decisions`)."""
    _insert_criterion(con, criterion)
    check_criterion(con, criterion, patients)
    apply_decisions(con, criterion)


def _insert_criterion(con: duckdb.DuckDBPyConnection, criterion: Criterion) -> None:
    """Insert the rows of view crit_<id> into `criteria_results`.

    The view's evidence is made with placeholders standing for the as-of date and dates
    computed from it (macros `as_of_text()`, `as_of_text_months_before()`), resolved
    here (`resolve_as_of_text()`); a row whose evidence names such a date keeps the
    unresolved text in `evidence_template`. `changes_on` is the view's, or the day after
    the as-of date when the view gives none (`changes_on_expression`)."""
    view = ident(f"crit_{criterion.id}")
    changes_on = changes_on_expression(con, view)
    resolved = incremental.resolve_expression("evidence", scalar(con, "select as_of from run_context"))
    con.execute("update run_context set as_of_label = ?", [AS_OF_TOKEN])
    try:
        con.execute(
            f"insert into criteria_results select patient_id, criterion_id, ?, status, "
            f"if(contains(evidence, chr(1)), {resolved}, evidence), "
            f"evidence_date, 'data', status, null, {changes_on}, "
            f"if(contains(evidence, chr(1)), evidence, null) from {view}",
            [criterion.kind],
        )
    except duckdb.Error as err:
        raise TrialConfigError(f"{criterion.file}: {str(err).splitlines()[0]}") from None
    finally:
        con.execute("update run_context set as_of_label = strftime(as_of, '%Y-%m-%d')")


def changes_on_expression(con: duckdb.DuckDBPyConnection, view: str) -> str:
    """SQL for a row's `changes_on`: the view's column, never earlier than the day after
    the as-of date; a view without one changes every day (the safe default)."""
    if "changes_on" in views_columns(con, view):
        # greatest() skips NULLs: NULL (never by time alone) is kept as NULL
        return "if(changes_on is null, null, greatest(cast(changes_on as date), cast(as_of() + 1 as date)))"
    return "cast(as_of() + 1 as date)"


def without_changes_on(con: duckdb.DuckDBPyConnection, trial: Trial) -> list[str]:
    """The trial's criteria whose view gives no `changes_on` (current schema: the
    trial's): their results are evaluated again every night."""
    return [c.id for c in trial.criteria if "changes_on" not in views_columns(con, ident(f"crit_{c.id}"))]


def views_columns(con: duckdb.DuckDBPyConnection, view: str) -> list[str]:
    """The column names of a view (or table) of the current schema."""
    return [row[0] for row in con.execute(f"describe {view}").fetchall()]


def check_criterion(con: duckdb.DuckDBPyConnection, criterion: Criterion, patients: int) -> None:
    """Exactly one row per patient of `criteria_results` for `criterion`, a known status
    and its own id; else TrialConfigError naming the criterion's file."""
    rows, distinct, bad_status, wrong_id = con.execute(
        "select count(*), count(distinct patient_id), "
        "count(*) filter (where status not in ('met', 'not_met', 'unknown', 'manual') "
        "or status is null), count(*) filter (where criterion_id != ?) "
        "from criteria_results where criterion_id = ? or criterion_id is null",
        [criterion.id, criterion.id],
    ).fetchall()[0]
    if rows != patients or distinct != patients:
        raise TrialConfigError(
            f"{criterion.file}: returned {rows} rows for {distinct} patients "
            f"(expected exactly one row for each of the {patients} patients)"
        )
    if bad_status or wrong_id:
        raise TrialConfigError(
            f"{criterion.file}: status must be one of {', '.join(STATUSES)} and "
            f"criterion_id must be {criterion.id!r}"
        )


def apply_decisions(con: duckdb.DuckDBPyConnection, criterion: Criterion) -> None:
    """Apply the coordinators' decisions on `criterion` to its rows of `criteria_results`.

    Only for patients with a screening event of the trial (none: nothing to do). Their
    rows get the fingerprint of the data's evidence (macro `evidence_fingerprint`); a
    decision that applies (view screening_criterion_decisions: latest, not expired, not
    lapsed) sets the status, with its origin in the evidence and status_source
    'decision'; computed_status keeps the data's. A decision that lapsed or expired
    leaves the data's status, its evidence noting the decision."""
    trial_id = scalar(con, "select trial_id from run_context")
    if not scalar(con, "select count(*) from screening_events where trial_id = ?", [trial_id]):
        return
    con.execute(
        "update criteria_results set evidence_fingerprint = "
        "evidence_fingerprint(status, evidence, evidence_date, as_of()) "
        "where criterion_id = ? and patient_id in "
        "(select patient_id from screening_events where trial_id = ?)",
        [criterion.id, trial_id],
    )
    con.execute(
        f"create or replace temp table screening_decided as select * from {DECISIONS_VIEW} "
        "where criterion_id = ?",
        [criterion.id],
    )
    try:
        con.execute(
            "update criteria_results as r set "
            "status = case when d.applies then d.decision else r.status end, "
            "evidence = case when d.applies then d.decided_evidence else d.data_evidence_noted end, "
            "status_source = case when d.applies then 'decision' else 'data' end "
            "from temp.main.screening_decided as d "
            "where r.criterion_id = d.criterion_id and r.patient_id = d.patient_id"
        )
    finally:
        con.execute("drop table if exists temp.main.screening_decided")


def funnel(con: duckdb.DuckDBPyConnection, trial: Trial) -> list[dict]:
    """The trial's attrition funnel as a list of steps (from view cohort_funnel)."""
    rows = con.execute(
        f"select step_number, step, kind, remaining, removed, unknown "
        f"from {ident(trial.id)}.cohort_funnel order by step_number"
    ).fetchall()
    keys = ("step_number", "step", "kind", "remaining", "removed", "unknown")
    return [dict(zip(keys, row, strict=True)) for row in rows]
