"""bench/run.py: every target of issue 20 gets a verdict computed from the measured figures."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from pipelines.settings import PROJECT_ROOT

_spec = importlib.util.spec_from_file_location("bench_run", PROJECT_ROOT / "bench" / "run.py")
bench = importlib.util.module_from_spec(_spec)
sys.modules["bench_run"] = bench
_spec.loader.exec_module(bench)

M = bench.Measure
FLOOR = M("floor", wall=10.0, cpu=20.0, rss_mb=1000)


def _scans(full: tuple[float, float], whatif: tuple[float, float], delta: tuple[float, float], rss=900.0):
    return [
        M("scan (full) (median of 3)", *full, rss_mb=rss),
        M("what-if", *whatif, rss_mb=100),
        M("nightly delta (1 % new rows)", *delta, rss_mb=100),
    ]


def _verdicts(measured) -> dict[str, tuple[str, str]]:
    return {row: (shown, verdict) for row, _, shown, verdict in bench.verdicts(measured)}


def test_parse_sizes_reads_patients_and_shape():
    assert bench.parse_sizes("10000, 500000:sparse,") == [bench.Size(10000), bench.Size(500000, "sparse")]


@pytest.mark.parametrize(
    ("full", "whatif", "delta", "expected"),
    [
        pytest.param((39.0, 79.0), (1.9, 3.9), (5.0, 11.0), ("met", "met", "met"), id="all-within"),
        pytest.param((41.0, 81.0), (2.1, 4.1), (6.2, 12.2), ("not met", "not met", "not met"), id="all-over"),
        pytest.param((39.0, 81.0), (1.9, 4.1), (5.0, 12.2), ("met on wall only",) * 3, id="wall-only"),
    ],
)
def test_ratio_targets_are_judged_on_wall_and_cpu(full, whatif, delta, expected):
    size = bench.Size(100_000)
    measured = {size: {"ratios": bench.ratios(FLOOR, [], _scans(full, whatif, delta)), "checks": {}}}
    rows = _verdicts(measured)
    got = tuple(rows[t.row][1] for t in bench.TARGETS if t.size == size)
    assert got == expected
    assert rows[bench.TARGETS[1].row] == ("-", "not measured")  # no 500k sparse drop in this run


@pytest.mark.parametrize(
    ("differing", "compared", "verdict"),
    [
        pytest.param(0, 500, "met", id="identical"),
        pytest.param(3, 500, "not met", id="three-rows-differ"),
        pytest.param(0, 0, "not measured", id="nothing-compared"),
    ],
)
def test_identical_results_verdict_comes_from_the_compared_rows(differing, compared, verdict):
    check = {"trials": ["t"], "rows_compared": compared, "rows_differing": differing}
    measured = {bench.Size(10_000): {"ratios": {}, "checks": {"nightly delta": check}}}
    assert _verdicts(measured)[bench.TARGETS[-1].row][1] == verdict


def test_peak_rss_verdict_of_the_million_patient_drop():
    size = bench.Size(1_000_000)
    over = {
        size: {
            "ratios": bench.ratios(
                FLOOR, [M("ingest", 1, 1, rss_mb=2100)], _scans((50, 100), (1, 1), (1, 1))
            ),
            "checks": {},
        }
    }
    assert _verdicts(over)["peak RSS <= 2 GB, 1,000,000 patients"] == ("2,100 MB", "not met")


def _exports(root, trial: str, candidates: list[tuple], criteria: list[tuple]):
    import duckdb

    folder = root / trial / bench.AS_OF
    folder.mkdir(parents=True)
    with duckdb.connect() as con:
        con.execute(
            "create table c (patient_id varchar, status varchar, rank bigint, score double, extra varchar)"
        )
        con.executemany("insert into c values (?, ?, ?, ?, 'x')", candidates)
        con.execute(f"copy c to '{folder / 'candidates.parquet'}' (format parquet)")
        con.execute(
            "create table r (patient_id varchar, criterion_id varchar, status varchar, evidence varchar)"
        )
        con.executemany("insert into r values (?, ?, ?, 'e')", criteria)
        con.execute(f"copy r to '{folder / 'criteria.parquet'}' (format parquet)")
    return root


CANDIDATES = [("P1", "eligible", 1, 1.0), ("P2", "potential", 2, 0.5)]
CRITERIA = [("P1", "inc_age", "met"), ("P2", "inc_age", "unknown"), ("P3", "inc_age", "not_met")]


@pytest.mark.parametrize(
    ("candidates", "criteria", "differing"),
    [
        pytest.param(CANDIDATES, CRITERIA, 0, id="same"),
        pytest.param(CANDIDATES[::-1], CRITERIA[::-1], 0, id="row-order-does-not-matter"),
        pytest.param(CANDIDATES, [*CRITERIA[:2], ("P3", "inc_age", "met")], 2, id="one-status-changed"),
        pytest.param(CANDIDATES[:1], CRITERIA, 1, id="a-candidate-missing"),
    ],
)
def test_compare_exports_counts_rows_found_on_one_side_only(tmp_path, candidates, criteria, differing):
    expected = _exports(tmp_path / "a", "t1", CANDIDATES, CRITERIA)
    actual = _exports(tmp_path / "b", "t1", candidates, criteria)
    snap = bench.snapshot(expected, tmp_path / "snap")  # the copy compares like the folder
    assert bench.compare_exports(snap, actual) == {
        "trials": ["t1"],
        "rows_compared": len(CANDIDATES) + len(CRITERIA),
        "rows_differing": differing,
    }
