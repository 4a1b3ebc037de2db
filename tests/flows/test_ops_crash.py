"""Crash safety and concurrency, with real `cohortscan scan` subprocesses.

A scan is killed with SIGKILL at a point observed from outside (its progress line for
the first file loaded: mid-ingest; its hidden partial export folder appearing:
mid-export), then run again. The warehouse (ledger, quarantine, raw, staging, criteria
results; run ids, load ids and timestamps left out) and the exports (candidates and
criteria, csv byte for byte and parquet by content) must equal those of an
uninterrupted scan. A second scan started while one runs is refused at once with one
line, and the first finishes unharmed.

The subprocesses use the test harness's Prefect API (PREFECT_API_URL), so they do not
start a server of their own.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines.run.flows import scan_flow
from pipelines.run.history import list_runs
from pipelines.settings import PROJECT_ROOT, SQL_DIR
from pipelines.warehouse.connect import open_warehouse
from tests.flows.ops_drop import make_rows, write_csv, write_drop

pytestmark = pytest.mark.slow

TRIAL = "cart_autoimmune"
AS_OF = date(2026, 11, 26)
LAB_FILES = 6
BAD_LABS = [["OPS-61-BAD", "LOINC", "718-7", "2026-11-01", "13,75", "", "g/dL", "", ""]]
KINDS = ("patients", "diagnoses", "labs", "medications")
TIMEOUT = 600  # seconds; the shared CI machine can be slow


@pytest.fixture(scope="module")
def drop(tmp_path_factory) -> Path:
    """Large enough that ingest and export each take a while: 4,000 patients, 8 files."""
    folder = write_drop(tmp_path_factory.mktemp("crash") / "drop", make_rows(4000, seed=61), LAB_FILES)
    write_csv(folder / "labs-zz-bad.csv", "labs", BAD_LABS)
    return folder


def _scan_args(root: Path, drop: Path) -> dict:
    return dict(
        extracts=drop,
        warehouse=root / "wh.duckdb",
        out=root / "exports",
        trials_dir=SQL_DIR / "trials",
        trial_ids=[TRIAL],
        as_of=AS_OF,
    )


@pytest.fixture(scope="module")
def reference(tmp_path_factory, drop) -> dict:
    """An uninterrupted scan: its warehouse content and exports."""
    root = tmp_path_factory.mktemp("reference")
    scan_flow(**_scan_args(root, drop))
    return {"warehouse": content(root / "wh.duckdb"), "exports": exports(root / "exports")}


def content(warehouse: Path) -> dict[str, tuple[int, str]]:
    """Row count and checksum of every table a scan fills, without run or load ids."""
    queries = {
        "load_ledger": "select file_name, kind, sha256, rows_read, rows_loaded, rows_quarantined "
        "from load_ledger where status = 'loaded'",
        "quarantine": "select * exclude (load_id) from quarantine",
        **{
            f"raw_{kind}": f"select l.file_name, r.* exclude (_load_id) from raw_{kind} as r "
            "join load_ledger as l on r._load_id = l.load_id"
            for kind in KINDS
        },
        **{f"stg_{kind}": f"select * exclude (_load_id) from stg_{kind}" for kind in KINDS},
        "criteria_results": f"select * from {TRIAL}.criteria_results",
    }
    with open_warehouse(warehouse, read_only=True) as con:
        result = {}
        for name, query in queries.items():
            rows = con.execute(f"select * from ({query}) order by all").fetchall()
            result[name] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return result


def exports(out: Path) -> dict[str, object]:
    """The exports of the trial for AS_OF; parquet files compared by content."""
    folder = out / TRIAL / AS_OF.isoformat()
    found: dict[str, object] = {
        name: (folder / name).read_bytes() for name in ("candidates.csv", "criteria.csv")
    }
    for name in ("candidates.parquet", "criteria.parquet"):
        found[name] = duckdb.sql(f"select * from read_parquet('{folder / name}') order by all").fetchall()
    found["leftovers"] = sorted(p.name for p in (out / TRIAL).iterdir() if p.name.startswith("."))
    return found


def _cli(root: Path, drop: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pipelines.cli",
        "scan",
        "--extracts",
        str(drop),
        "--warehouse",
        str(root / "wh.duckdb"),
        "--out",
        str(root / "exports"),
        "--trial",
        TRIAL,
        "--as-of",
        AS_OF.isoformat(),
    ]


def _env() -> dict[str, str]:
    from prefect.settings import PREFECT_API_URL

    return {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}


class Scan:
    """`cohortscan scan` in a subprocess, its stderr lines collected as they come."""

    def __init__(self, root: Path, drop: Path) -> None:
        self.process = subprocess.Popen(
            _cli(root, drop),
            cwd=PROJECT_ROOT,
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_until(self, condition: Callable[[], bool], what: str) -> None:
        """Poll every 5 ms until `condition` holds; fail if the scan ends or times out first."""
        deadline = time.monotonic() + TIMEOUT
        while not condition():
            if self.process.poll() is not None:
                pytest.fail(f"the scan ended before {what}: " + " | ".join(self.lines[-5:]))
            if time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"timed out waiting for {what}")
            time.sleep(0.005)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.finish()

    def finish(self) -> int:
        code = self.process.wait(timeout=TIMEOUT)
        self._reader.join(timeout=10)
        assert self.process.stderr is not None
        self.process.stderr.close()
        return code


def _rerun_matches_reference(root: Path, drop: Path, reference: dict) -> None:
    scan_flow(**_scan_args(root, drop))
    assert content(root / "wh.duckdb") == reference["warehouse"]
    assert exports(root / "exports") == reference["exports"]
    with open_warehouse(root / "wh.duckdb", read_only=True) as con:
        statuses = [run["status"] for run in list_runs(con)]
    assert statuses == ["succeeded", "crashed"]


def test_scan_killed_during_ingest_then_run_again_equals_an_uninterrupted_scan(tmp_path, drop, reference):
    files = sorted(p.name for p in drop.iterdir())
    scan = Scan(tmp_path, drop)
    scan.wait_until(
        lambda: any(line.split("  ", 1)[-1].startswith(f"{files[0]}: ") for line in scan.lines),
        "the first file was loaded",
    )
    scan.kill()

    with open_warehouse(tmp_path / "wh.duckdb", read_only=True) as con:
        loaded = con.execute(
            "select kind, sum(rows_loaded) from load_ledger where status = 'loaded' group by kind"
        )
        by_kind = dict(loaded.fetchall())
        files_loaded = con.execute("select count(*) from load_ledger where status = 'loaded'").fetchone()[0]
        assert 1 <= files_loaded < len(files), "the kill did not land during ingest"
        for kind in KINDS:  # no half file: raw rows are exactly those of the ledger's files
            assert con.execute(f"select count(*) from raw_{kind}").fetchone()[0] == by_kind.get(kind, 0)
    # run again: the lock died with the killed scan, its run is marked crashed
    _rerun_matches_reference(tmp_path, drop, reference)


def test_scan_killed_during_export_then_run_again_equals_an_uninterrupted_scan(tmp_path, drop, reference):
    trial_out = tmp_path / "exports" / TRIAL
    scan = Scan(tmp_path, drop)
    scan.wait_until(lambda: trial_out.is_dir() and any(trial_out.glob(".*.partial-*")), "the export began")
    scan.kill()

    assert any(trial_out.glob(".*.partial-*")), "the kill did not land during export"
    assert not (trial_out / AS_OF.isoformat()).exists()
    _rerun_matches_reference(tmp_path, drop, reference)


def test_second_scan_on_a_busy_warehouse_is_refused_at_once_and_the_first_is_unharmed(
    tmp_path, drop, reference
):
    first = Scan(tmp_path, drop)
    lock = tmp_path / "wh.duckdb.lock"
    first.wait_until(lambda: lock.exists() and "scan" in lock.read_text(), "the first scan took the lock")

    started = time.monotonic()
    second = subprocess.run(
        _cli(tmp_path, drop), cwd=PROJECT_ROOT, env=_env(), capture_output=True, text=True, timeout=TIMEOUT
    )
    assert second.returncode == 5
    assert second.stderr.count("\n") == 1, second.stderr
    assert "in use by another scan" in second.stderr and f"pid {first.process.pid}" in second.stderr
    assert time.monotonic() - started < 30  # refused before Prefect even starts

    assert first.finish() == 0, " | ".join(first.lines[-5:])
    assert content(tmp_path / "wh.duckdb") == reference["warehouse"]
    assert exports(tmp_path / "exports") == reference["exports"]
    with open_warehouse(tmp_path / "wh.duckdb", read_only=True) as con:
        assert [run["status"] for run in list_runs(con)] == ["succeeded"]
