"""One writer at a time per warehouse: an OS file lock held for a whole scan.

DuckDB locks the warehouse file only while a connection is open, and the flows open and
close it task by task, so without more a second process could slip in between two tasks
of a running scan. The run lock closes that gap: `<warehouse>.lock`, beside the
warehouse, is locked with `flock(2)` for the whole scan (or validate). The kernel drops
the lock when the process ends, even on SIGKILL, so a crashed scan never leaves a stale
lock behind; the file itself stays and is harmless.

The lock file holds who holds it (pid, what, since), so a second scan is refused with a
one-line `WarehouseBusy` naming the holder (exit status 5), at once or after waiting
`wait_seconds` (setting `lock_wait_seconds`). The lock is re-entrant within one process:
the CLI takes it before starting Prefect, then the flow it calls takes it again.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from pipelines.errors import WarehouseBusy

POLL_SECONDS = 0.2

_guard = threading.Lock()
_held: dict[Path, list[int]] = {}  # lock path -> [file descriptor, depth]


def lock_path(warehouse: Path) -> Path:
    """The lock file of a warehouse: `<warehouse>.lock` beside it."""
    warehouse = Path(warehouse).resolve()
    return warehouse.with_name(warehouse.name + ".lock")


@contextmanager
def run_lock(warehouse: Path, holder: str, wait_seconds: float = 0.0) -> Iterator[Path]:
    """Hold the warehouse's run lock for the `with` block; `holder` says who (no patient data)."""
    path = lock_path(warehouse)
    acquire(path, holder, wait_seconds, warehouse)
    try:
        yield path
    finally:
        release(path)


def acquire(path: Path, holder: str, wait_seconds: float, warehouse: Path) -> None:
    """Take the lock, waiting up to `wait_seconds`; raise WarehouseBusy if still held."""
    with _guard:
        if path in _held:
            _held[path][1] += 1
            _write_holder(_held[path][0], holder)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + max(wait_seconds, 0.0)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    other = _read_holder(fd)
                    os.close(fd)
                    raise WarehouseBusy(_busy_message(warehouse, other, wait_seconds)) from None
                time.sleep(POLL_SECONDS)
        _write_holder(fd, holder)
        _held[path] = [fd, 1]


def release(path: Path) -> None:
    """Give back one level of the lock; the last level unlocks and closes the file."""
    with _guard:
        entry = _held.get(path)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] > 0:
            return
        fd = entry[0]
        del _held[path]
        os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def holds(warehouse: Path) -> bool:
    """Whether this process holds the warehouse's run lock."""
    with _guard:
        return lock_path(warehouse) in _held


def holder_of(warehouse: Path) -> dict | None:
    """Who holds the warehouse's run lock now, or None when nobody does."""
    path = lock_path(warehouse)
    if not path.exists():
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_holder(fd) or {}
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _write_holder(fd: int, holder: str) -> None:
    payload = {"pid": os.getpid(), "holder": holder, "since": datetime.now().isoformat(timespec="seconds")}
    os.ftruncate(fd, 0)
    os.pwrite(fd, (json.dumps(payload) + "\n").encode(), 0)


def _read_holder(fd: int) -> dict:
    try:
        return json.loads(os.pread(fd, 4096, 0).decode() or "{}")
    except (ValueError, OSError):
        return {}


def _busy_message(warehouse: Path, other: dict, wait_seconds: float) -> str:
    who = ", ".join(
        part
        for part in (
            other.get("holder"),
            f"pid {other['pid']}" if other.get("pid") else None,
            f"since {other['since']}" if other.get("since") else None,
        )
        if part
    )
    waited = f" after waiting {wait_seconds:g} s" if wait_seconds > 0 else ""
    return (
        f"{warehouse}: the warehouse is in use by another scan ({who or 'holder unknown'}){waited}; "
        "run again when it has finished (or set COHORTSCAN_LOCK_WAIT_SECONDS to wait)"
    )
