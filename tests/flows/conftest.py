"""Flow tests run under one session-wide Prefect test harness (a temporary database).

`contract_sample_scan` is the one scan of data/sample as contract files (every trial
found, as of the sample's date) that test_scan_sample.py checks and the form tests compare
their OMOP and FHIR scans with: made once per test session, by whichever pytest-xdist
worker asks first, and read by the others.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from pipelines.settings import PROJECT_ROOT, SQL_DIR

os.environ.setdefault(
    "PREFECT_LOGGING_SETTINGS_PATH", str(PROJECT_ROOT / "pipelines" / "run" / "logging.yml")
)
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")

SAMPLE = PROJECT_ROOT / "data" / "sample"
SAMPLE_AS_OF = date(2026, 11, 26)


@pytest.fixture(scope="session", autouse=True)
def prefect_harness() -> Iterator[None]:
    """Every flow in this folder talks to a throwaway Prefect API."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


def sample_scan_args(root: Path) -> dict:
    """scan_flow's arguments for data/sample as contract files into `root`: every trial
    found (trial_ids None), as of the sample's date."""
    return dict(
        extracts=SAMPLE,
        warehouse=root / "wh.duckdb",
        out=root / "exports",
        trials_dir=SQL_DIR / "trials",
        trial_ids=None,
        as_of=SAMPLE_AS_OF,
    )


def _scan_sample(root: Path) -> dict:
    from pipelines.run.flows import scan_flow

    summary = scan_flow(**sample_scan_args(root))
    # what the test modules read of it, as JSON for the other workers
    return json.loads(json.dumps({**summary, "root": root}, default=str))


@pytest.fixture(scope="session")
def contract_sample_scan(tmp_path_factory, prefect_harness) -> Callable[[], dict]:
    """A function giving the result of one scan_flow of data/sample as contract files
    (`sample_scan_args`), as JSON (paths as text) plus "root", the folder of its warehouse
    and exports, made at the first call.

    Under pytest-xdist the workers share the session's temporary folder: the first worker
    to call it scans under a file lock and records the result; the others wait for the
    lock and read it. The tests only read the export folders, except test_scan_sample.py,
    which scans the same drop again on the same warehouse (a re-scan reuses the exports
    and leaves candidates and criteria as they were, which it asserts). A module calls it
    after its own scan, so that two modules needing it rarely wait for each other.
    """
    cached: dict = {}

    def result() -> dict:
        if not cached:
            if os.environ.get("PYTEST_XDIST_WORKER"):
                base = tmp_path_factory.getbasetemp().parent  # this session's, shared by its workers
            else:
                base = tmp_path_factory.mktemp("sample-contract-lock")
            root, done = base / "sample-contract-scan", base / "sample-contract-scan.json"
            with (base / "sample-contract-scan.lock").open("w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                if not done.exists():
                    shutil.rmtree(root, ignore_errors=True)  # a worker that failed mid-scan
                    done.write_text(json.dumps(_scan_sample(root)))
            cached.update(json.loads(done.read_text()))
        return cached

    return result
