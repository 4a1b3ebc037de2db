"""Incremental evaluation of a trial's criteria (issue 20, "incremental nights").

A stored evaluation can be brought to a later as-of date, or to new staged rows, by
re-evaluating only the patients who need it, criterion by criterion:

* every patient with a staged row from a load the stored evaluation did not read (every
  staged row keeps its `_load_id`; a new row, a corrected one and the latest delivered
  record of a patient all come with a new load);
* every patient with a screening event of the trial (decisions are applied while a
  criterion is materialised; they are few);
* for criterion c, every patient whose stored `changes_on` for c has come: the first
  as-of date on which c's result could differ by time alone (NULL: never by time alone).

A criterion due for more than WHOLE_SHARE of the patients is evaluated for all of them.

The rest keep their rows. Evidence that names the as-of date is stored twice: resolved
in `evidence` and as a template in `evidence_template` (the date a placeholder, see
macros `as_of_text()` and `as_of_text_months_before()` in sql/cohort/trial_macros.sql);
a row kept for another as-of date gets its evidence from its template, identical to
what a full evaluation writes.

A complete evaluation is needed (`plan` returns the reason) when: `--full` was asked;
there is no stored evaluation, or it was made by other code, staging code or reference
data, trial folder, parameters or DuckDB version (`incremental_key`); the as-of date
moved backwards; a load was retired (a full refresh) or a load the stored evaluation
read is no longer loaded.

While a criterion is re-materialised for a set of patients, the trial's schema holds one
view per staged table (`SHADOWED_TABLES`) that reads a temporary copy of the table's
rows of the patients to re-evaluate (one scan of each table per trial), restricted to
the criterion's patients: criterion SQL names the staged tables unqualified and DuckDB resolves a
view's names in the view's own schema first, so every criterion, macro and
`patient_diseases` reads only those patients' rows, unchanged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from pipelines.criteria.trials import Trial
from pipelines.staging.build import STAGED_DATA_TABLES
from pipelines.warehouse import fingerprint as fingerprints
from pipelines.warehouse.connect import ident, scalar

# Stands for the as-of date in evidence while criteria are materialised (between two
# chr(1), a control character clinical text does not use; macro resolve_as_of_text keeps
# a chr(1) of the data that does not enclose a placeholder).
AS_OF_TOKEN = "\x01as_of\x01"
# The tables restricted to the re-evaluated patients while a criterion is re-materialised.
SHADOWED_TABLES = STAGED_DATA_TABLES
# The table of patients a shadow view lets through (in the trial's schema).
SCOPE_TABLE = "incremental_scope"
# A criterion due for more than this share of the patients is evaluated for all of them,
# unrestricted: restricting the staged tables to most patients costs more than it saves.
WHOLE_SHARE = 0.25


@dataclass
class Plan:
    """What an evaluation does: `mode` 'full' (with `reason`) or 'incremental'."""

    mode: str
    reason: str
    # incremental only: why patients are re-evaluated, patients per reason (all criteria)
    new_data: int = 0
    screening: int = 0
    by_time: dict[str, int] = field(default_factory=dict)
    # criteria evaluated for every patient (due for more than WHOLE_SHARE of them); their
    # rows all count in `rows`, their patients in `patients` only when due
    whole: list[str] = field(default_factory=list)
    # criteria whose view gives no changes_on (evaluated again every night)
    no_changes_on: list[str] = field(default_factory=list)
    patients: int = 0
    rows: int = 0
    total_rows: int = 0

    def summary(self) -> dict:
        """For run.json: the mode, why, and how many patients x criteria were evaluated."""
        if self.mode == "full":
            return {"mode": "full", "reason": self.reason, "criteria_without_changes_on": self.no_changes_on}
        return {
            "criteria_without_changes_on": self.no_changes_on,
            "mode": "incremental",
            "reason": self.reason,
            "patients_new_data": self.new_data,
            "patients_screening_events": self.screening,
            "patients_by_time": self.by_time,
            "criteria_evaluated_whole": self.whole,
            "patients_reevaluated": self.patients,
            "rows_reevaluated": self.rows,
            "rows_total": self.total_rows,
        }


def incremental_key(trial: Trial, param_rows: list[list], code_dirs: tuple[Path, ...]) -> str:
    """sha256 of what an incremental evaluation must share with the stored one: the
    staging code and reference data, the trial's folder, its parameter values, the cohort
    and screening SQL and this package, and DuckDB's version (not the loads, not the
    as-of date, not the screening events: those are handled patient by patient)."""
    digest = hashlib.sha256(repr((trial.id, duckdb.__version__, param_rows)).encode())
    digest.update(repr(sorted(trial.checksums().items())).encode())
    fingerprints.update_with_files(digest, fingerprints.STAGING_SOURCES)
    fingerprints.update_with_files(digest, code_dirs)
    return digest.hexdigest()


def plan(con: duckdb.DuckDBPyConnection, trial: Trial, as_of: date, key: str, full: bool) -> Plan:
    """Whether the stored evaluation of `trial` (its schema, before this evaluation
    writes anything) can be brought to `as_of` incrementally; else the reason why not."""
    if full:
        return Plan("full", "--full")
    schema = ident(trial.id)
    stored = None
    with suppress(duckdb.Error):
        stored = con.execute(
            f"select s.incremental_key, s.as_of, s.retired, e.fingerprint "
            f"from {schema}.evaluation_state as s, {schema}.evaluation as e"
        ).fetchone()
    if stored is None or stored[3] is None:
        return Plan("full", "no complete stored evaluation")
    stored_key, stored_as_of, stored_retired, _ = stored
    if stored_key != key:
        return Plan("full", "code, reference data, trial folder or parameters changed")
    if as_of < stored_as_of:
        return Plan("full", f"as-of date moved backwards ({stored_as_of} -> {as_of})")
    if _retired(con) != stored_retired:
        return Plan("full", "a load was retired (full refresh)")
    gone = scalar(
        con,
        f"select count(*) from {schema}.evaluation_loads where load_id not in "
        "(select load_id from main.load_ledger where status = 'loaded')",
    )
    if gone:
        return Plan("full", "a load the stored evaluation read is gone")
    moved = "same as-of date" if as_of == stored_as_of else f"as of {stored_as_of} -> {as_of}"
    return Plan("incremental", moved)


def _retired(con: duckdb.DuckDBPyConnection) -> str:
    rows = con.execute("select load_id from main.stg_retired_loads order by load_id").fetchall()
    return ",".join(str(r[0]) for r in rows)


def record_state(con: duckdb.DuckDBPyConnection, as_of: date, key: str) -> None:
    """Record (current schema: the trial's) what the evaluation just made read: the key,
    the as-of date, the retired loads and every load the staged tables held."""
    con.execute(
        "create or replace table evaluation_state as select ? as incremental_key, "
        "cast(? as date) as as_of, ? as retired",
        [key, as_of, _retired(con)],
    )
    con.execute(
        "create or replace table evaluation_loads as select load_id from main.load_ledger "
        "where status = 'loaded'"
    )


def base_scope(con: duckdb.DuckDBPyConnection, trial_id: str, p: Plan, as_of: date) -> None:
    """Temporary tables: `incremental_base`, the patients re-evaluated on every criterion
    (new staged rows, or a screening event of the trial), and `incremental_due`, each
    stored result due to change by `as_of` (criterion, patient)."""
    unions = " union ".join(
        f"select patient_id from main.{ident(t)} "
        "where _load_id not in (select e.load_id from evaluation_loads as e)"
        for t in SHADOWED_TABLES
    )
    con.execute(f"create or replace temp table incremental_new as {unions}")
    con.execute(
        "create or replace temp table incremental_events as select distinct patient_id "
        "from main.screening_events where trial_id = ?",
        [trial_id],
    )
    con.execute(
        "create or replace temp table incremental_base as select patient_id from "
        "incremental_new union select patient_id from incremental_events"
    )
    con.execute(
        "create or replace temp table incremental_due as select criterion_id, patient_id "
        "from criteria_results where changes_on <= ? and patient_id not in "
        "(select b.patient_id from temp.main.incremental_base as b)",
        [as_of],
    )
    p.new_data = scalar(con, "select count(*) from incremental_new")
    p.screening = scalar(con, "select count(*) from incremental_events")


def criterion_scope(con: duckdb.DuckDBPyConnection, criterion_id: str) -> int:
    """Fill SCOPE_TABLE with the patients to re-evaluate on `criterion_id`: the base ones
    and those whose stored result for it is due; return how many are due by time alone
    (not in the base)."""
    con.execute(f"delete from {SCOPE_TABLE}")
    con.execute(
        f"insert into {SCOPE_TABLE} select patient_id from temp.main.incremental_base "
        "union all select patient_id from temp.main.incremental_due where criterion_id = ?",
        [criterion_id],
    )
    return scalar(
        con, "select count(*) from temp.main.incremental_due where criterion_id = ?", [criterion_id]
    )


@contextmanager
def shadowed(con: duckdb.DuckDBPyConnection, criterion_ids: list[str]) -> Iterator[None]:
    """While open, the staged tables read from the trial's schema (the current one) hold
    only the patients of SCOPE_TABLE (which must exist; views read it when queried).

    Each staged table is read once: the rows of every patient any of `criterion_ids` will
    evaluate again (the base ones, and those with a result due) are copied
    into a temporary table, and the views filter that copy, so that a criterion's many reads of
    a staged table scan a copy of its patients' rows only, not the whole table."""
    con.execute(
        "create or replace temp table incremental_any as select patient_id from "
        "temp.main.incremental_base union select patient_id from temp.main.incremental_due "
        "where criterion_id in ?",
        [criterion_ids or [""]],
    )
    try:
        for table in SHADOWED_TABLES:
            con.execute(
                f"create or replace temp table {ident('scoped_' + table)} as select * from "
                f"main.{ident(table)} where patient_id in "
                "(select a.patient_id from temp.main.incremental_any as a)"
            )
            con.execute(
                f"create or replace view {ident(table)} as select * from "
                f"temp.main.{ident('scoped_' + table)} "
                f"where patient_id in (select s.patient_id from {SCOPE_TABLE} as s)"
            )
        yield
    finally:
        for table in SHADOWED_TABLES:
            con.execute(f"drop view if exists {ident(table)}")
            con.execute(f"drop table if exists temp.main.{ident('scoped_' + table)}")
        con.execute("drop table if exists temp.main.incremental_any")


def drop_scope(con: duckdb.DuckDBPyConnection) -> None:
    """Remove the working tables of an incremental evaluation (current schema)."""
    con.execute(f"drop table if exists {SCOPE_TABLE}")
    for name in (
        "incremental_new",
        "incremental_events",
        "incremental_base",
        "incremental_due",
        "incremental_all",
    ):
        con.execute(f"drop table if exists temp.main.{name}")


def resolve_expression(column: str, as_of: date) -> str:
    """SQL resolving the placeholders of `column` on `as_of` (macro resolve_as_of_text;
    the date is written as a literal from a date object)."""
    return f"resolve_as_of_text({column}, date '{as_of.isoformat()}')"


def resolve_kept_evidence(con: duckdb.DuckDBPyConnection, as_of: date) -> None:
    """Rows kept from the stored evaluation whose evidence names the as-of date (or a
    date computed from it) get it from their template, as a full evaluation on the new
    as-of date (run_context, already written) writes it. Rows of patients with screening
    events are all evaluated again afterwards (their evidence may carry a decision)."""
    con.execute(
        f"update criteria_results set evidence = {resolve_expression('evidence_template', as_of)} "
        "where evidence_template is not null"
    )
