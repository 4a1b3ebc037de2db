"""Flow tests run under one session-wide Prefect test harness (a temporary database).

`contract_sample_scan` is the one scan of data/sample as contract files (both trials, as
of the sample's date) that the form tests compare their OMOP and FHIR scans with: made
once per test session, by whichever pytest-xdist worker asks first, and read by the others.
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
SAMPLE_TRIALS = ("cart_autoimmune", "lupus_nephritis")


@pytest.fixture(scope="session", autouse=True)
def prefect_harness() -> Iterator[None]:
    """Every flow in this folder talks to a throwaway Prefect API."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


def _scan_sample(root: Path) -> dict[str, str]:
    from pipelines.run.flows import scan_flow

    summary = scan_flow(
        extracts=SAMPLE,
        warehouse=root / "wh.duckdb",
        out=root / "exports",
        trials_dir=SQL_DIR / "trials",
        trial_ids=list(SAMPLE_TRIALS),
        as_of=SAMPLE_AS_OF,
    )
    return {trial: str(summary["folders"][trial]) for trial in SAMPLE_TRIALS}


@pytest.fixture(scope="session")
def contract_sample_scan(tmp_path_factory, prefect_harness) -> Callable[[], dict[str, Path]]:
    """A function giving {trial: export folder} of the scan of data/sample as contract files
    (scan_flow, both trials, as of 2026-11-26), scanned at its first call.

    Under pytest-xdist the workers share the session's temporary folder: the first worker
    to call it scans under a file lock and records the folders; the others wait for the
    lock and read them. The export folders are only read by the tests (never written).
    A module calls it after its own scan, so that two modules needing it rarely wait.
    """
    cached: dict[str, Path] = {}

    def folders() -> dict[str, Path]:
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
            cached.update({trial: Path(folder) for trial, folder in json.loads(done.read_text()).items()})
        return cached

    return folders
