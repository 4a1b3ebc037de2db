"""Evaluate a trial inside the warehouse: one schema per trial.

For a trial `t`, schema `t` holds: `run_context` (the as-of date), `params` (every
parameter with its value for this evaluation), `valuesets`, `criteria_manifest`, the
macros of `sql/cohort/trial_macros.sql`, the view `patient_diseases`, one view
`crit_<id>` per criterion, the table `criteria_results` (every patient x every
criterion, materialised once) and the views `cohort_eligibility`, `cohort_ranking` and
`cohort_funnel`. A what-if re-runs this with other parameter values inside a
transaction that is rolled back.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import duckdb

from pipelines.errors import TrialConfigError
from pipelines.settings import SQL_DIR
from pipelines.trials import Trial
from pipelines.warehouse import ident, read_sql, run_sql_file, scalar

COHORT_DIR = SQL_DIR / "cohort"
# In dependency order. The funnel/status/reasons views by group feed the feasibility
# report (pipelines/feasibility.py); cohort_changes feeds changes.csv.
COHORT_VIEWS = (
    "cohort_eligibility",
    "cohort_ranking",
    "cohort_attrition",
    "cohort_funnel",
    "cohort_patient_groups",
    "cohort_funnel_by_group",
    "cohort_status_by_group",
    "cohort_potential_reasons",
    "cohort_patient_status",
    "cohort_changes",
)
STATUSES = ("met", "not_met", "unknown", "manual")


def evaluate_trial(
    con: duckdb.DuckDBPyConnection,
    trial: Trial,
    as_of: date,
    overrides: Mapping[str, float | str] | None = None,
) -> dict[str, int]:
    """Build the trial's schema and materialise its criteria; return status counts."""
    schema = trial.id
    con.execute(f"create schema if not exists {ident(schema)}")
    con.execute(f"set schema = '{schema}'")
    try:
        _write_context(con, trial, as_of, overrides or {})
        run_sql_file(con, COHORT_DIR / "trial_macros.sql")
        con.execute(f"create or replace view patient_diseases as {read_sql(trial.diseases_file)}")
        for criterion in trial.criteria:
            view = ident(f"crit_{criterion.id}")
            try:
                con.execute(f"create or replace view {view} as {read_sql(criterion.file)}")
            except duckdb.Error as err:
                raise TrialConfigError(f"{criterion.file}: {str(err).splitlines()[0]}") from None
        materialise_criteria(con, trial)
        for name in COHORT_VIEWS:
            con.execute(f"create or replace view {name} as {read_sql(COHORT_DIR / f'{name}.sql')}")
        rows = con.execute(
            "select status, count(*) from cohort_eligibility group by status order by status"
        ).fetchall()
    finally:
        con.execute("set schema = 'main'")
    return dict(rows)


def _write_context(
    con: duckdb.DuckDBPyConnection,
    trial: Trial,
    as_of: date,
    overrides: Mapping[str, float | str],
) -> None:
    con.execute(
        "create or replace table run_context as select cast(? as date) as as_of, ? as trial_id",
        [as_of, trial.id],
    )
    con.execute(
        "create or replace table params (criterion_id varchar, name varchar, "
        "value_num double, value_text varchar)"
    )
    rows = []
    for key, parameter in trial.parameters.items():
        value = overrides.get(key, parameter.default)
        if parameter.is_number:
            rows.append([parameter.criterion_id, parameter.name, float(value), None])
        else:
            rows.append([parameter.criterion_id, parameter.name, None, str(value)])
    if rows:
        con.executemany("insert into params values (?, ?, ?, ?)", rows)
    con.execute(
        "create or replace table criteria_manifest (criterion_id varchar, kind varchar, "
        "ordinal integer, weight double, wording varchar)"
    )
    con.executemany(
        "insert into criteria_manifest values (?, ?, ?, ?, ?)",
        [[c.id, c.kind, c.ordinal, c.weight, c.wording] for c in trial.criteria],
    )
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


def materialise_criteria(con: duckdb.DuckDBPyConnection, trial: Trial) -> None:
    """Fill `criteria_results` from every criterion view and check each view's shape."""
    con.execute(
        "create or replace table criteria_results (patient_id varchar, criterion_id varchar, "
        "kind varchar, status varchar, evidence varchar, evidence_date date)"
    )
    patients = scalar(con, "select count(*) from stg_patients")
    for criterion in trial.criteria:
        view = ident(f"crit_{criterion.id}")
        try:
            con.execute(
                f"insert into criteria_results select patient_id, criterion_id, ?, status, "
                f"evidence, evidence_date from {view}",
                [criterion.kind],
            )
        except duckdb.Error as err:
            raise TrialConfigError(f"{criterion.file}: {str(err).splitlines()[0]}") from None
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


def funnel(con: duckdb.DuckDBPyConnection, trial: Trial) -> list[dict]:
    """The trial's attrition funnel as a list of steps (from view cohort_funnel)."""
    rows = con.execute(
        f"select step_number, step, kind, remaining, removed, unknown "
        f"from {ident(trial.id)}.cohort_funnel order by step_number"
    ).fetchall()
    keys = ("step_number", "step", "kind", "remaining", "removed", "unknown")
    return [dict(zip(keys, row, strict=True)) for row in rows]
