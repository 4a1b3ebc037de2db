"""Memory stays bounded because tables reach GX in batches; the batches change nothing.

Not a timing or memory measurement (see expectations/README.md for the measured peak):
these tests show that a small batch size really splits each table into several batches,
that no batch is larger than asked, and that the combined counts equal those of one
batch per table.
"""

from __future__ import annotations

from pathlib import Path

from pipelines import quality
from pipelines.warehouse import connect
from tests.unit.test_quality_suites import _faulty_warehouse, _run


def test_stream_yields_batches_of_at_most_the_asked_size() -> None:
    con = connect(":memory:")
    sizes = [len(frame) for frame in quality.stream(con, "select * from range(10) t(x)", 4)]
    assert sizes == [4, 4, 2]


def test_stream_of_an_empty_result_yields_one_empty_frame_with_the_columns() -> None:
    con = connect(":memory:")
    frames = list(quality.stream(con, "select 1 as x, 'a' as y where false", 4))
    assert [(len(f), list(f.columns)) for f in frames] == [(0, ["x", "y"])]


def test_small_batches_give_the_same_counts_as_one_batch(tmp_path: Path) -> None:
    batch_rows = 4
    con = _faulty_warehouse()
    whole = _run(con, tmp_path / "whole", batch_rows=100_000)
    batched = _run(con, tmp_path / "batched", batch_rows=batch_rows)

    def counts(results: dict) -> dict:
        return {
            key: (r["status"], r["element_count"], r["unexpected_count"], r["first_location"])
            for key, r in results.items()
        }

    assert counts(batched) == counts(whole)
    rows = con.execute("select count(*) from stg_labs").fetchone()[0]
    hb = batched[("stg_labs", "hemoglobin_in_plausible_range")]
    assert hb["batches"] == -(-rows // batch_rows) > 1
    assert whole[("stg_labs", "hemoglobin_in_plausible_range")]["batches"] == 1
