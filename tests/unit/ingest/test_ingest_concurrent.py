"""Ingest of several files at once: the outcome is that of loading them one by one.

`ingest_drop` works on up to `workers` files at once, each on its own cursor and in its
own transaction, and settles them in file name order. These tests ingest the same drop
one by one and at once and compare everything a file leaves: load ids, ledger, raw rows
in their stored order with their line numbers, quarantine, progress lines; and check
that a refused file or an error among files in work leaves what loading one by one would.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest import load as ingest
from pipelines.ingest.load import describe, ingest_drop
from pipelines.warehouse.connect import connect

LABS_HEADER = "patient_id,code_system,code,result_date,value_num,unit\n"
PATIENTS = "patient_id,sex,birth_date,site_id\nP1,F,1980-01-02,SITE_A\nP2,x,1990-03-04,SITE_B\n"
KINDS = ("patients", "diagnoses", "labs", "medications")


def _labs(rows: int, seed: int) -> str:
    """`rows` lab records, every 7th quarantined (a decimal comma)."""
    lines = [
        f"P{seed}-{n},LOINC,718-7,2025-06-{1 + n % 28:02d},{'5,2' if n % 7 == 0 else n},g/L\n"
        for n in range(rows)
    ]
    return LABS_HEADER + "".join(lines)


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    data = text.encode("utf-8")
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return path


@pytest.fixture
def drop(tmp_path: Path) -> Path:
    """Files of every kind and format, of uneven sizes, with quarantined rows, a rejected
    record, empty lines, a refused file, a copy of another file and a file that is not data."""
    folder = tmp_path / "drop"
    folder.mkdir()
    _write(folder, "README.txt", "not data\n")
    _write(
        folder, "diagnoses.csv", "patient_id,code_system,code,diagnosis_date\nP1,ICD10CM,M32.14,2024-01-01\n"
    )
    _write(folder, "labs-1.csv.gz", _labs(20000, 1))
    _write(
        folder,
        "labs-2.csv",
        _labs(300, 2) + "P9,LOINC,718-7,2025-06-30\n\n\n" + _labs(50, 3)[len(LABS_HEADER) :],
    )
    _write(
        folder,
        "labs-3-copy.csv",
        _labs(300, 2) + "P9,LOINC,718-7,2025-06-30\n\n\n" + _labs(50, 3)[len(LABS_HEADER) :],
    )
    _write(folder, "labs-4-refused.csv", _labs(200, 4) + 'P1,LOINC,"718-7,2025-06-30,1,g/L\n' + _labs(5, 5))
    _write(folder, "labs-5.csv.gz", _labs(7000, 6))
    duckdb.sql(
        "select 'P1' as patient_id, 'RXNORM' as code_system, '5640' as code, "
        "date '2024-01-01' as start_date, 'bad' as dose_value"
    ).write_parquet(str(folder / "medications.parquet"))
    _write(folder, "patients.csv", PATIENTS)
    return folder


def _outcome(con: duckdb.DuckDBPyConnection, results: list[ingest.FileResult]) -> dict:
    """Everything ingest leaves, timings and load times left out; raw rows in stored order."""
    found = {
        "results": [{k: v for k, v in r.as_dict().items() if k != "seconds"} for r in results],
        "ledger": con.execute(
            "select * exclude (loaded_at, seconds) from load_ledger order by load_id"
        ).fetchall(),
        "ledger_stored_order": con.execute("select load_id from load_ledger").fetchall(),
        "quarantine": con.execute("select * from quarantine order by all").fetchall(),
    }
    for kind in KINDS:
        found[f"raw_{kind}"] = con.execute(f"select * from raw_{kind}").fetchall()  # stored order
    return found


def _ingest(drop: Path, workers: int) -> tuple[dict, list[str]]:
    con = connect(":memory:")
    try:
        progress: list[str] = []
        results = ingest_drop(con, drop, "run1", progress=progress.append, workers=workers)
        return _outcome(con, results), progress
    finally:
        con.close()


def test_files_ingested_at_once_leave_what_files_ingested_one_by_one_leave(drop):
    one_by_one, progress_one_by_one = _ingest(drop, workers=1)
    at_once, progress_at_once = _ingest(drop, workers=3)
    assert at_once == one_by_one
    assert progress_at_once == progress_one_by_one
    statuses = [(r["file_name"], r["status"]) for r in at_once["results"]]
    assert statuses == [
        ("README.txt", "ignored"),
        ("diagnoses.csv", "loaded"),
        ("labs-1.csv.gz", "loaded"),
        ("labs-2.csv", "loaded"),
        ("labs-3-copy.csv", "skipped"),
        ("labs-4-refused.csv", "refused"),
        ("labs-5.csv.gz", "loaded"),
        ("medications.parquet", "loaded"),
        ("patients.csv", "loaded"),
    ]
    assert [r["load_id"] for r in at_once["results"]] == list(range(1, 10))


def test_files_ingested_at_once_keep_every_row_at_its_line(drop):
    con = connect(":memory:")
    results = {r.file_name: r for r in ingest_drop(con, drop, "run1", workers=4)}
    lines = dict(
        con.execute(
            "select l.file_name, list(r._line order by r._line) from raw_labs r "
            "join load_ledger l on l.load_id = r._load_id group by 1"
        ).fetchall()
    )
    quarantined = dict(
        con.execute("select file_name, list(line order by line) from quarantine group by 1").fetchall()
    )
    # labs-1: 20,000 records on lines 2..20001, every 7th from the first quarantined
    assert lines["labs-1.csv.gz"] == [n + 2 for n in range(20000) if n % 7]
    assert quarantined["labs-1.csv.gz"] == [n + 2 for n in range(20000) if n % 7 == 0]
    # labs-2: 300 records, a record of too few fields (line 302), two empty lines, 50 records
    second = [(n + 2, n % 7 == 0) for n in range(300)] + [(n + 305, n % 7 == 0) for n in range(50)]
    assert lines["labs-2.csv"] == [line for line, bad in second if not bad]
    assert quarantined["labs-2.csv"] == sorted([line for line, bad in second if bad] + [302])
    assert results["labs-2.csv"].rows_read == 351
    assert "labs-4-refused.csv" not in lines and "labs-4-refused.csv" not in quarantined
    con.close()


def test_a_refused_file_among_files_in_work_leaves_only_the_good_ones(tmp_path):
    for name, text in [
        ("labs-a.csv", _labs(3000, 1)),
        ("labs-b.csv", _labs(3000, 2) + "P\xe9,LOINC,718-7,2025-06-30,1,g/L\n"),
        ("labs-c.csv", _labs(3000, 3)),
    ]:
        (tmp_path / name).write_bytes(text.encode("latin-1"))
    con = connect(":memory:")
    results = ingest_drop(con, tmp_path, "run1", workers=3)
    assert [(r.file_name, r.status, r.load_id) for r in results] == [
        ("labs-a.csv", "loaded", 1),
        ("labs-b.csv", "refused", 2),
        ("labs-c.csv", "loaded", 3),
    ]
    assert describe(results[1]).startswith("labs-b.csv line 3002: refused: is not UTF-8 text")
    assert con.execute("select distinct _load_id from raw_labs order by 1").fetchall() == [(1,), (3,)]
    assert con.execute("select distinct load_id from quarantine order by 1").fetchall() == [(1,), (3,)]
    assert con.execute("select count(*) from raw_labs where patient_id like 'P2-%'").fetchone()[0] == 0
    con.close()


def test_an_error_in_one_file_stops_the_drop_where_loading_one_by_one_would(tmp_path, monkeypatch):
    for number in range(1, 6):
        _write(tmp_path, f"labs-{number}.csv", _labs(2000, number))
    load = ingest._load

    def failing_load(con, path, kind, result, run_id, parallel=False):
        if path.name == "labs-3.csv":
            raise RuntimeError("disk on fire")
        load(con, path, kind, result, run_id, parallel)

    monkeypatch.setattr(ingest, "_load", failing_load)
    con = connect(":memory:")
    progress: list[str] = []
    with pytest.raises(RuntimeError, match="disk on fire"):
        ingest_drop(con, tmp_path, "run1", progress=progress.append, workers=3)
    # the files before it are loaded and reported; it and the files after it leave nothing
    assert [line.split(":")[0] for line in progress] == ["labs-1.csv", "labs-2.csv"]
    assert con.execute("select file_name from load_ledger order by load_id").fetchall() == [
        ("labs-1.csv",),
        ("labs-2.csv",),
    ]
    assert con.execute("select distinct _load_id from raw_labs order by 1").fetchall() == [(1,), (2,)]
    assert con.execute("select distinct load_id from quarantine order by 1").fetchall() == [(1,), (2,)]
    con.close()


def test_workers_follow_duckdb_threads_within_bounds(wh):
    wh.execute("set threads = 1")
    assert ingest.ingest_workers(wh) == 1
    wh.execute("set threads = 3")
    assert ingest.ingest_workers(wh) == 3
    wh.execute("set threads = 64")
    assert ingest.ingest_workers(wh) == ingest.MAX_WORKERS


@pytest.mark.parametrize(
    ("threads", "sizes", "parallel"),
    [
        pytest.param(2, {"labs.csv": 900, "patients.csv": 100}, {"labs.csv"}, id="one-large-file"),
        pytest.param(2, {"labs.csv": 100}, {"labs.csv"}, id="a-drop-of-one-file"),
        pytest.param(2, {f"labs-{n}.csv": 100 for n in range(4)}, set(), id="many-equal-files"),
        pytest.param(2, {"labs-1.csv": 100, "labs-2.csv": 100}, set(), id="two-files-two-threads"),
        pytest.param(
            8,
            {"labs-1.csv": 100, "labs-2.csv": 100},
            {"labs-1.csv", "labs-2.csv"},
            id="fewer-files-than-threads",
        ),
        pytest.param(1, {"labs.csv": 900, "patients.csv": 100}, set(), id="one-thread"),
        pytest.param(
            2, {"labs.csv": 900, "README.md": 10_000}, {"labs.csv"}, id="non-extract-files-do-not-count"
        ),
    ],
)
def test_files_numbered_on_every_thread_are_those_that_would_leave_cores_idle(
    wh, tmp_path, threads, sizes, parallel
):
    for name, size in sizes.items():
        (tmp_path / name).write_bytes(b"x" * size)
    wh.execute(f"set threads = {threads}")
    chosen = ingest.parallel_numbering(wh, sorted(tmp_path.iterdir()))
    assert {p.name for p in chosen} == parallel
