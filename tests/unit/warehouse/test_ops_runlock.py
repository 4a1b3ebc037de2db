"""The warehouse run lock: one scan at a time, a one-line refusal, gone when its holder dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from pipelines.errors import WarehouseBusy
from pipelines.warehouse import runlock
from pipelines.warehouse.runlock import holder_of, lock_path, run_lock

HOLD_IN_CHILD = """
import sys, time
from pathlib import Path
from pipelines.warehouse.runlock import run_lock
with run_lock(Path(sys.argv[1]), "scan run CHILD"):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


@pytest.fixture
def holder(tmp_path) -> Iterator[Callable[[float], subprocess.Popen]]:
    """Start a separate process that takes the lock of tmp_path/wh.duckdb for some seconds."""
    children: list[subprocess.Popen] = []

    def start(seconds: float) -> subprocess.Popen:
        child = subprocess.Popen(
            [sys.executable, "-c", HOLD_IN_CHILD, str(tmp_path / "wh.duckdb"), str(seconds)],
            stdout=subprocess.PIPE,
            text=True,
        )
        children.append(child)
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "locked"
        return child

    yield start
    for child in children:
        child.kill()
        child.wait()
        assert child.stdout is not None
        child.stdout.close()


def test_lock_file_sits_beside_the_warehouse(tmp_path):
    assert lock_path(tmp_path / "wh.duckdb") == tmp_path / "wh.duckdb.lock"


def test_second_scan_is_refused_at_once_with_one_line_naming_the_holder(tmp_path, holder):
    warehouse = tmp_path / "wh.duckdb"
    child = holder(30)
    started = time.monotonic()
    with pytest.raises(WarehouseBusy) as refused, run_lock(warehouse, "scan run SECOND"):
        pass
    assert time.monotonic() - started < 2
    message = str(refused.value)
    assert "\n" not in message
    assert "scan run CHILD" in message and f"pid {child.pid}" in message
    assert str(warehouse) in message
    assert refused.value.exit_code == 5


def test_second_scan_waits_when_asked_and_runs_after_the_first(tmp_path, holder):
    warehouse = tmp_path / "wh.duckdb"
    child = holder(1.0)
    with run_lock(warehouse, "scan run SECOND", wait_seconds=20):
        assert child.wait(timeout=5) == 0  # the first had finished before we got the lock


def test_waiting_too_long_is_refused_and_says_how_long_it_waited(tmp_path, holder):
    holder(30)
    with (
        pytest.raises(WarehouseBusy, match=r"after waiting 0\.5 s"),
        run_lock(tmp_path / "wh.duckdb", "x", 0.5),
    ):
        pass


def test_lock_of_a_killed_holder_is_free_at_once(tmp_path, holder):
    warehouse = tmp_path / "wh.duckdb"
    child = holder(30)
    assert holder_of(warehouse)["holder"] == "scan run CHILD"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert holder_of(warehouse) is None
    with run_lock(warehouse, "scan run AFTER"):
        assert runlock.holds(warehouse)


def test_lock_is_reentrant_in_one_process_and_released_by_the_outermost(tmp_path):
    warehouse = tmp_path / "wh.duckdb"
    with run_lock(warehouse, "cohortscan scan"):
        with run_lock(warehouse, "scan run INNER"):
            assert runlock.holds(warehouse)
        assert runlock.holds(warehouse)
    assert not runlock.holds(warehouse)
    assert holder_of(warehouse) is None


def test_lock_is_shared_by_the_threads_of_the_holding_process(tmp_path):
    """Prefect may run a flow in another thread than the CLI that took the lock."""
    warehouse = tmp_path / "wh.duckdb"
    seen: list[bool] = []
    with run_lock(warehouse, "cohortscan scan"):

        def inner() -> None:
            with run_lock(warehouse, "scan run THREAD"):
                seen.append(runlock.holds(warehouse))

        thread = threading.Thread(target=inner)
        thread.start()
        thread.join(timeout=10)
    assert seen == [True]
