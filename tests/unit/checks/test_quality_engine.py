"""How the gate runs GX: table suites on GX's SQL engine over DuckDB, rules in batches.

Not a timing or memory measurement (see expectations/README.md and bench/README.md):
these tests show that the SQL engine really evaluates every check (GX issues #10738 and
#11579 made every expectation "N/A" on DuckDB), that it counts exactly what GX's own
pandas engine counts on the same rows, that it sees every row of a table larger than
any batch, and that the rules' batches change nothing.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import great_expectations as gx
import pytest

from pipelines.checks import gate as quality
from pipelines.checks import gx_duckdb
from pipelines.checks.suites import SCHEMA_CHECKS, load_suites
from pipelines.warehouse.connect import connect
from tests.unit.checks.test_quality_suites import AS_OF, _faulty_warehouse, _run


def test_stream_yields_batches_of_at_most_the_asked_size() -> None:
    con = connect(":memory:")
    sizes = [len(frame) for frame in quality.stream(con, "select * from range(10) t(x)", 4)]
    assert sizes == [4, 4, 2]


def test_stream_of_an_empty_result_yields_one_empty_frame_with_the_columns() -> None:
    con = connect(":memory:")
    frames = list(quality.stream(con, "select 1 as x, 'a' as y where false", 4))
    assert [(len(f), list(f.columns)) for f in frames] == [(0, ["x", "y"])]


def test_rules_in_small_batches_give_the_same_counts_as_one_batch(tmp_path: Path) -> None:
    con = _faulty_warehouse()
    whole = _run(con, tmp_path / "whole", batch_rows=100_000)
    batched = _run(con, tmp_path / "batched", batch_rows=1)

    def counts(results: dict) -> dict:
        return {
            key: (r["status"], r["element_count"], r["unexpected_count"], r["first_location"])
            for key, r in results.items()
        }

    assert counts(batched) == counts(whole)
    orphans = batched[("stg_labs", "orphan_labs")]
    assert orphans["unexpected_count"] >= 1
    assert orphans["batches"] == orphans["unexpected_count"]  # one offending row per batch
    assert whole[("stg_labs", "hemoglobin_in_plausible_range")]["batches"] == 1


def test_the_sql_dialect_returns_the_rows_of_a_query_after_its_connection_closed() -> None:
    """The root cause of GX #10738/#11579: GX fetches after `with engine.connect()` ends."""
    sqlalchemy = pytest.importorskip("sqlalchemy")
    con = connect(":memory:")
    con.execute("create table t as select range as x from range(5)")
    url = gx_duckdb.register(con)
    try:
        engine = sqlalchemy.create_engine(url)
        with engine.connect() as connection:
            result = connection.execute(sqlalchemy.text("select count(*), sum(x) from t"))
        assert result.fetchall() == [(5, 10)]
    finally:
        gx_duckdb.unregister(url)


def test_an_unregistered_connection_is_a_clear_error() -> None:
    sqlalchemy = pytest.importorskip("sqlalchemy")
    engine = sqlalchemy.create_engine(gx_duckdb.URL_PREFIX + "nobody")
    with pytest.raises(sqlalchemy.exc.DBAPIError, match="no DuckDB connection is registered"):
        engine.connect()


def _pandas_counts(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> dict[tuple[str, str], tuple]:
    """Every row check's counts by GX's pandas engine, on the same rows as the SQL engine."""
    ctx = gx.get_context(mode="ephemeral")
    source = ctx.data_sources.add_pandas("reference")
    params = {"as_of": AS_OF, "as_of_year": AS_OF.year}
    counts = {}
    for stage in ("raw", "staging"):
        for suite in load_suites(stage):
            columns = [row[0] for row in con.execute(f"describe {suite.table}").fetchall()]
            frame = next(quality.stream(con, suite.query(columns), 1_000_000))  # dates stay dates
            batch = source.add_dataframe_asset(suite.table).add_batch_definition_whole_dataframe("all")
            gx_suite = quality._gx_suite(suite)
            result = batch.get_batch(batch_parameters={"dataframe": frame}).validate(
                gx_suite, expectation_parameters=params, result_format="SUMMARY"
            )
            for evr in result.results:
                check = next(c for c in suite.checks if c.name == evr.expectation_config.meta["check"])
                if check.expectation in SCHEMA_CHECKS or check.expectation.endswith("_of_type"):
                    continue  # schema and storage types differ by engine by nature
                r = evr.result
                assert "element_count" in r, (suite.table, check.name, evr.exception_info)
                counts[(suite.table, check.name)] = (
                    bool(evr.success),
                    r["element_count"],
                    r["unexpected_count"],
                )
    return counts


def test_the_sql_engine_counts_what_gx_pandas_engine_counts_on_every_row_check(tmp_path: Path) -> None:
    con = _faulty_warehouse()
    sql = _run(con, tmp_path / "sql")
    reference = _pandas_counts(con, tmp_path)
    assert len(reference) > 40  # every row check of the suites: 42 since the raw suites check once (issue 20)
    mismatched = {
        key: (
            expected,
            (sql[key]["status"] == "passed", sql[key]["element_count"], sql[key]["unexpected_count"]),
        )
        for key, expected in reference.items()
        if (sql[key]["status"] == "passed", sql[key]["element_count"], sql[key]["unexpected_count"] or 0)
        != (expected[0], expected[1], expected[2] or 0)
    }
    assert mismatched == {}
    assert sum(not passed for passed, _, _ in reference.values()) > 20  # the planted faults fire


def test_every_row_of_a_table_larger_than_a_batch_is_checked(tmp_path: Path) -> None:
    """300 000 staged lab rows with faults planted at the first, a middle and the last row."""
    con = _faulty_warehouse()
    con.execute("delete from stg_labs")
    con.execute(
        """
        insert into stg_labs by name
        select 'P1' as patient_id, 'hemoglobin' as measure, 'g/L' as unit, date '2026-10-01' as result_date,
               case when i in (0, 150000, 299999) then 9000 else 130 end as value,
               'ok' as unit_status, 3 as _load_id, i + 2 as _line
        from range(300000) t(i)
        """
    )
    suite = next(s for s in load_suites("staging") if s.table == "stg_labs")
    results = {r["check"]: r for r in quality.validate_suite(con, suite, AS_OF, "big", tmp_path)}
    hb = results["hemoglobin_in_plausible_range"]
    assert (hb["status"], hb["element_count"], hb["unexpected_count"]) == ("failed", 300_000, 3)
    assert hb["first_location"] == "labs.csv line 2"
    assert results["value_not_negative"]["element_count"] == 300_000


def test_validation_leaves_no_view_behind(tmp_path: Path) -> None:
    con = _faulty_warehouse()
    _run(con, tmp_path)
    views = con.execute("select view_name from duckdb_views() where not internal").fetchall()
    assert views == []
    assert date.today()  # the run used the connection's own database, not a copy


def test_only_checks_that_failed_on_rows_are_asked_for_the_location_of_their_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pass 1 counts every check (BASIC); pass 2 (SUMMARY, with `_load_id` and `_line`)
    runs only the checks that failed on rows, and only when one did."""
    from great_expectations.datasource.fluent.interfaces import Batch

    calls: list[tuple[str, list[str]]] = []
    validate = Batch.validate

    def recording(self, expect, **kwargs):
        names = [e.meta["check"] for e in getattr(expect, "expectations", [expect])]
        calls.append((kwargs["result_format"]["result_format"], names))
        return validate(self, expect, **kwargs)

    monkeypatch.setattr(Batch, "validate", recording)
    con = _faulty_warehouse()
    suite = next(s for s in load_suites("staging") if s.table == "stg_labs")
    results = {r["check"]: r for r in quality.validate_suite(con, suite, AS_OF, "two", tmp_path)}
    failed_on_rows = sorted(
        c for c, r in results.items() if r["status"] == "failed" and r["unexpected_count"]
    )
    assert "hemoglobin_in_plausible_range" in failed_on_rows
    assert [fmt for fmt, _ in calls] == ["BASIC", "SUMMARY"]
    assert sorted(calls[1][1]) == failed_on_rows
    assert all(results[c]["first_location"] for c in failed_on_rows)  # located, from pass 2

    calls.clear()
    con.execute("delete from stg_labs")
    clean = quality.validate_suite(con, suite, AS_OF, "clean", tmp_path)
    assert not any(r["unexpected_count"] for r in clean)
    assert [fmt for fmt, _ in calls] == ["BASIC"]
