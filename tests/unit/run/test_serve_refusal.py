"""`cohortscan serve` without a lasting Prefect server is refused with one line naming
the two commands to run, before any deployment is registered; the telemetry settings
reach every process cohortscan starts."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.settings import NO_TELEMETRY_ENV, PROJECT_ROOT


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once the probe is closed


def _serve(tmp_path: Path, api_url: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(tmp_path / "prefect-home"), PYTHONPATH=str(PROJECT_ROOT))
    if api_url is not None:
        env["PREFECT_API_URL"] = api_url
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "serve", "--warehouse", str(tmp_path / "wh.duckdb")],
        env=env,
        cwd=tmp_path,  # no prefect.toml or pyproject.toml naming a server
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("api_url", "reason"),
    [
        pytest.param(None, "PREFECT_API_URL is not set", id="no-api-url"),
        pytest.param("closed", "does not answer", id="server-not-answering"),
    ],
)
def test_serve_without_a_lasting_server_is_refused_with_the_commands_to_run(tmp_path, api_url, reason):
    if api_url == "closed":
        api_url = f"http://127.0.0.1:{_closed_port()}/api"
    result = _serve(tmp_path, api_url)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()[-1:]
    assert line.startswith("cohortscan: error: cohortscan serve")
    assert reason in line
    assert "prefect server start" in line and "export PREFECT_API_URL=http://127.0.0.1:4200/api" in line
    assert "Traceback" not in result.stderr + result.stdout


def test_the_temporary_server_is_started_with_telemetry_off(monkeypatch):
    from pipelines.run import prefect_api

    seen = {}

    class FakePopen:
        def __init__(self, args, env, **kwargs):
            seen.update(env)

        def poll(self):
            return None

    monkeypatch.setattr(prefect_api.subprocess, "Popen", FakePopen)
    prefect_api.TemporaryServer().launch()
    assert {k: seen[k] for k in NO_TELEMETRY_ENV} == NO_TELEMETRY_ENV


def test_prefect_commands_run_from_the_project_read_the_server_telemetry_off():
    code = (
        "from prefect.settings import get_current_settings as s; c = s(); "
        "print(c.server.analytics_enabled, c.cloud.enable_orchestration_telemetry)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DO_NOT_TRACK"))}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.stdout.split() == ["False", "False"], out.stderr
