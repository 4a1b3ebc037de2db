"""Drops as sites send them: one cumulative file, deltas, the same data twice, full refreshes.

Each case ingests real files into its own warehouse, stages and evaluates the trial, and
compares the staging tables (without load ids and line numbers) and criteria_results.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.criteria import evaluate, trials
from pipelines.ingest import load as ingest
from pipelines.run import history as runs
from pipelines.settings import SQL_DIR
from pipelines.staging import build as staging
from pipelines.warehouse.connect import connect
from tests.flows.ops_drop import AS_OF, Rows, make_rows, write_csv, write_drop

TRIAL = "cart_autoimmune"
KINDS = ("patients", "diagnoses", "labs", "medications")
STAGING = staging.STAGED_DATA_TABLES


@pytest.fixture(scope="module")
def rows() -> Rows:
    return make_rows(60, seed=11)


def load(con: duckdb.DuckDBPyConnection, folder: Path, run_id: str, *, full_refresh: bool = False) -> None:
    """What a scan does with one drop, without Prefect: ingest, declare, stage."""
    results = ingest.ingest_drop(con, folder, run_id)
    assert not [r for r in results if r.status == "refused"], [r.message for r in results]
    if full_refresh:
        runs.declare_full_refresh(con, run_id)


def outcome(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """Staging content (load ids and lines left out) and the trial's criteria results."""
    staging.build_staging(con)
    evaluate.evaluate_trial(con, trials.load_trial(SQL_DIR / "trials", TRIAL), AS_OF)
    tables = {}
    for name in STAGING:
        columns = [c[0] for c in con.execute(f"describe {name}").fetchall() if not c[0].startswith("_")]
        tables[name] = con.execute(f"select {', '.join(columns)} from {name} order by all").fetchall()
    tables["criteria_results"] = con.execute(
        f"select * from {TRIAL}.criteria_results order by all"
    ).fetchall()
    return tables


def fresh(*drops: tuple[Path, bool]) -> dict[str, list[tuple]]:
    """Load drops (folder, full refresh?) in order into a new warehouse; return the outcome."""
    con = connect(":memory:")
    try:
        for number, (folder, refresh) in enumerate(drops):
            load(con, folder, f"run-{number}", full_refresh=refresh)
        return outcome(con)
    finally:
        con.close()


def halves(items: list, overlap: int = 0) -> tuple[list, list]:
    middle = len(items) // 2
    return items[: middle + overlap], items[middle:]


def test_one_file_two_deltas_or_twice_give_identical_results(tmp_path, rows):
    one = write_drop(tmp_path / "one", rows)
    first, second = tmp_path / "delta-1", tmp_path / "delta-2"
    for kind in KINDS:
        # the deltas overlap: a few facts are delivered in both, as sites do
        early, late = halves(rows.of(kind), overlap=3)
        write_csv(first / f"{kind}-2026-11-24.csv", kind, early)
        write_csv(second / f"{kind}-2026-11-25.csv", kind, late)
    again = tmp_path / "again"  # the same facts in files of other names and other bytes
    for kind in KINDS:
        write_csv(again / f"{kind}-resent.csv", kind, rows.of(kind), quote_all=True)

    baseline = fresh((one, False))
    assert len(baseline["stg_patients"]) == 60 and baseline["criteria_results"]
    assert fresh((first, False), (second, False)) == baseline
    assert fresh((one, False), (one, False)) == baseline  # same files: skipped by hash
    assert fresh((one, False), (again, False)) == baseline  # same facts: counted once


def test_facts_delivered_again_in_another_order_are_staged_once(tmp_path, rows):
    """Staging ignores delivery order. (Criteria may not: two results of one measure on
    one day go to the latest delivered record, so re-sending such a pair in another
    order can change which one counts; see the trial README.)"""
    one = write_drop(tmp_path / "one", rows)
    shuffled = tmp_path / "shuffled"
    for kind in KINDS:
        reordered = list(rows.of(kind))
        random.Random(5).shuffle(reordered)
        write_csv(shuffled / f"{kind}-resent.csv", kind, reordered)
    staged = {k: v for k, v in fresh((one, False), (shuffled, False)).items() if k in STAGING}
    assert staged == {k: v for k, v in fresh((one, False)).items() if k in STAGING}


def test_file_loaded_twice_is_skipped_and_stored_once(tmp_path, rows):
    drop = write_drop(tmp_path / "drop", rows)
    con = connect(":memory:")
    try:
        load(con, drop, "run-1")
        again = ingest.ingest_drop(con, drop, "run-2")
        assert {r.status for r in again} == {"skipped"}
        assert con.execute("select count(*) from raw_labs").fetchone()[0] == len(rows.labs)
    finally:
        con.close()


def test_full_refresh_retires_facts_absent_from_it(tmp_path, rows):
    old = write_drop(tmp_path / "old", rows)
    delta = write_drop(tmp_path / "delta", make_rows(5, seed=11, first=100), suffix="-delta")
    smaller = Rows(*(rows.of(kind)[: len(rows.of(kind)) // 3] for kind in KINDS))
    refresh = write_drop(tmp_path / "refresh", smaller, suffix="-full")

    con = connect(":memory:")
    try:
        load(con, old, "run-1")
        load(con, delta, "run-2")
        load(con, refresh, "run-3", full_refresh=True)
        after = outcome(con)
        retired = con.execute("select file_name from stg_retired_loads order by all").fetchall()
        raw_patients = con.execute("select count(*) from raw_patients").fetchone()[0]
    finally:
        con.close()
    assert after == fresh((refresh, False))
    # retired, not deleted: every row delivered is still in raw_*
    assert raw_patients == len(rows.patients) + 5 + len(smaller.patients)
    assert {name for (name,) in retired} == {p.name for p in (*old.iterdir(), *delta.iterdir())}


def test_full_refresh_may_deliver_an_already_loaded_file_again(tmp_path, rows):
    base = write_drop(tmp_path / "base", rows)
    delta = write_drop(tmp_path / "delta", make_rows(5, seed=11, first=100), suffix="-delta")
    same = shutil.copytree(base, tmp_path / "same-again")  # skipped by hash, yet the refresh
    assert fresh((base, False), (delta, False), (same, True)) == fresh((base, False))


def test_full_refresh_leaves_kinds_it_does_not_deliver_alone(tmp_path, rows):
    base = write_drop(tmp_path / "base", rows)
    fewer_labs = rows.labs[: len(rows.labs) // 2]
    labs_only = tmp_path / "labs-only"
    write_csv(labs_only / "labs-full.csv", "labs", fewer_labs)
    only_these = tmp_path / "expected"
    write_drop(only_these, Rows(rows.patients, rows.diagnoses, fewer_labs, rows.medications))
    assert fresh((base, False), (labs_only, True)) == fresh((only_these, False))


def test_delta_after_a_full_refresh_counts(tmp_path, rows):
    base = write_drop(tmp_path / "base", rows)
    refresh = write_drop(tmp_path / "refresh", Rows(*(rows.of(k)[:40] for k in KINDS)), suffix="-full")
    delta = write_drop(tmp_path / "delta", make_rows(5, seed=11, first=100), suffix="-delta")
    assert fresh((base, False), (refresh, True), (delta, False)) == fresh((refresh, False), (delta, False))
