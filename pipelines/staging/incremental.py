"""Incremental staging: a night's delta re-stages only the patients its new loads touch.

Every rule of `sql/staging/` (a natural key's latest delivery, the latest patients row)
partitions by patient_id, so a patient's staged rows depend on that patient's raw rows
alone. A delta therefore deletes the rows of the patients with a raw row in a new load
from each stg_* table and stages them again from all their raw rows, with the very SQL of
a full build: that SQL reads `raw_<kind>` unqualified, and for the time of the delta a
temporary table of that name holding the touched patients' raw rows shadows the
warehouse's (DuckDB looks in `temp` before `main`). Every other patient's rows are left
as they are, each with its `_load_id` and `_line`.

A delta is staged only when it gives what a full build would (`plan_staging`): the code
and reference data that staging and the gate run are those of the last build
(`staging_code_fingerprint`), no full refresh was declared since (a refresh retires
earlier loads), a data-quality gate passed on that build, and `--full` was not asked for.
Anything else stages every patient. The new loads are those after the last load whose
rows passed a gate (`staging_state.validated_through`), so a delta stopped by the gate is
staged and checked again with the next one. Tables: `sql/warehouse/staging_state.sql`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb

from pipelines.ingest.contract import KINDS
from pipelines.warehouse.connect import ident, scalar
from pipelines.warehouse.fingerprint import refreshes_fingerprint, staging_code_fingerprint

DELTA_TABLE = "staging_delta"
STATE_TABLE = "staging_state"
# The raw tables staging reads, one per kind of the extract contract.
RAW_TABLES = tuple(f"raw_{kind}" for kind in KINDS)
FULL, DELTA = "full", "delta"


@dataclass(frozen=True)
class StagingPlan:
    """How this run stages: every patient (`full`) or the patients of new loads (`delta`)."""

    mode: str
    reason: str
    code_fingerprint: str
    refreshes: str
    # delta: the loads after this one are new (checked and staged again); full: None
    since_load_id: int | None = None

    @property
    def is_delta(self) -> bool:
        return self.mode == DELTA


def plan_staging(
    con: duckdb.DuckDBPyConnection, *, full: bool = False, tables: tuple[str, ...] = ()
) -> StagingPlan:
    """Whether this run may stage a delta (see the module docstring), and why not.

    `full` (`cohortscan scan --full`) forces a full build; `tables` are the staged
    tables a delta extends (all must exist).
    """
    code = staging_code_fingerprint()
    refreshes = refreshes_fingerprint(con)
    row = con.execute(f"select code_fingerprint, refreshes, validated_through from {STATE_TABLE}").fetchone()
    existing = {
        r[0]
        for r in con.execute("select table_name from duckdb_tables() where schema_name = 'main'").fetchall()
    }
    if full:
        reason = "a full evaluation was asked for (--full)"
    elif row is None:
        reason = "no earlier staging"
    elif row[0] != code:
        reason = "the staging code, reference data or checks changed since the last staging"
    elif row[1] != refreshes:
        reason = "a full refresh was declared since the last staging"
    elif row[2] is None:
        reason = "no data-quality gate passed on the last full staging"
    elif not set(tables) <= existing:
        reason = "a staged table is missing"
    else:
        return StagingPlan(DELTA, "only new loads since the last validated staging", code, refreshes, row[2])
    return StagingPlan(FULL, reason, code, refreshes)


def start_full(con: duckdb.DuckDBPyConnection) -> None:
    """Forget the last build before a full one replaces it: a build stopped half-way
    leaves no state, so the next run stages in full again."""
    con.execute(f"delete from {STATE_TABLE}")
    con.execute(f"delete from {DELTA_TABLE}")


def record_build(con: duckdb.DuckDBPyConnection, plan: StagingPlan, run_id: str | None) -> None:
    """Record the build just made under `plan` (one row in staging_state).

    A delta keeps the last validated load (its own rows are validated when its gate
    passes, `mark_validated`); a full build starts with none.
    """
    validated = plan.since_load_id if plan.is_delta else None
    patients = scalar(con, f"select count(*) from {DELTA_TABLE}") if plan.is_delta else None
    con.execute(f"delete from {STATE_TABLE}")
    con.execute(
        f"insert into {STATE_TABLE} select ?, now()::timestamp, ?, ?, ?, ?, "
        "(select max(load_id) from load_ledger where status = 'loaded'), ?, ?",
        [run_id, plan.mode, plan.reason, plan.code_fingerprint, plan.refreshes, validated, patients],
    )


def mark_validated(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """The build of `run_id` passed the data-quality gate: its loads need no check again."""
    con.execute(
        f"update {STATE_TABLE} set validated_through = staged_through where run_id is not distinct from ?",
        [run_id],
    )


def collect_touched(con: duckdb.DuckDBPyConnection, since_load_id: int) -> int:
    """Fill staging_delta with the patients having a raw row in a load after `since_load_id`;
    return their number. (Raw rows are appended in load order, so DuckDB's zone maps skip
    most of each table.)"""
    union = " union ".join(
        f"select patient_id from {ident(table)} where _load_id > $since" for table in RAW_TABLES
    )
    con.execute(f"delete from {DELTA_TABLE}")
    con.execute(
        f"insert into {DELTA_TABLE} select distinct patient_id from ({union})", {"since": since_load_id}
    )
    return scalar(con, f"select count(*) from {DELTA_TABLE}")


@contextmanager
def touched_raw_rows(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Within the block, `raw_<kind>` (unqualified) holds only the raw rows of the
    patients in staging_delta: a temporary table of that name shadows the warehouse's."""
    try:
        for table in RAW_TABLES:
            con.execute(
                f"create or replace temp table {ident(table)} as select * from main.{ident(table)} "
                f"where patient_id in (select d.patient_id from main.{DELTA_TABLE} as d)"
            )
        yield
    finally:
        for table in RAW_TABLES:
            con.execute(f"drop table if exists temp.{ident(table)}")
