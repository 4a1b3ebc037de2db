"""`cohortscan scan` with no Prefect server configured: a temporary API of its own.

Two scans of one drop run as subprocesses without PREFECT_API_URL (and with a Prefect
home of their own, so that nothing here touches the user's): each launches Prefect's
temporary API server itself, runs its flow against it and stops it; the second finds
nothing new and reuses the first's exports. Neither prints an error, and no server
process outlives them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.settings import PROJECT_ROOT
from tests.flows.ops_drop import AS_OF, make_rows, write_drop

pytestmark = pytest.mark.slow

TIMEOUT = 900  # seconds; a fresh Prefect home is migrated on the first start


def _cli(root: Path, drop: Path) -> list[str]:
    return [
        sys.executable, "-m", "pipelines.cli", "scan", "--extracts", str(drop),
        "--warehouse", str(root / "wh.duckdb"), "--out", str(root / "exports"),
        "--trial", "cart_autoimmune", "--as-of", AS_OF.isoformat(),
    ]  # fmt: skip


def _processes_with(home: Path) -> list[int]:
    """Processes whose environment names `home` as their Prefect home."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            environ = (proc / "environ").read_bytes()
        except OSError:
            continue
        if f"PREFECT_HOME={home}".encode() in environ.split(b"\0"):
            found.append(int(proc.name))
    return found


@pytest.fixture(scope="module")
def scans(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("temporary-api")
    drop = write_drop(root / "drop", make_rows(40, seed=41))
    home = root / "prefect-home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="600")
    done = [
        subprocess.run(
            _cli(root, drop), cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT
        )
        for _ in range(2)
    ]
    return {"runs": done, "left": _processes_with(home)}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_scans_without_a_prefect_server_run_on_a_temporary_api_and_leave_no_process(scans):
    first, second = scans["runs"]
    for done in (first, second):
        assert done.returncode == 0, done.stderr[-2000:]
        assert "Traceback" not in done.stderr and "ERROR" not in done.stderr, done.stderr[-2000:]
    first_id = first.stdout.split()[1]
    assert f"the exports of run {first_id} are reused" in second.stdout
    assert scans["left"] == []
