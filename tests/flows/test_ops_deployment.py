"""The nightly deployment: registered with its schedule and parameters, and run once.

The run goes the way a scheduled one does: a flow run is created from the deployment
and a Prefect `Runner` (what `cohortscan serve` starts) picks it up and executes it in a
subprocess, against the test harness's API.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from pipelines.run.deploy import DEPLOYMENT_NAME, local_timezone, nightly_deployment
from pipelines.run.history import list_runs
from pipelines.settings import NO_TELEMETRY_ENV, PROJECT_ROOT, Settings
from pipelines.warehouse.connect import open_warehouse
from tests.flows.ops_drop import make_rows, write_drop

pytestmark = pytest.mark.slow

TRIAL = "cart_autoimmune"


async def _register_and_run_once(deployment) -> tuple:
    """Register the deployment, create one run of it, let a runner execute it."""
    from prefect import get_client
    from prefect.runner import Runner

    runner = Runner(name="cohortscan-test-runner", pause_on_shutdown=False)
    deployment_id = await runner.aadd_deployment(deployment)
    async with get_client() as client:
        flow_run = await client.create_flow_run_from_deployment(deployment_id)
    await runner.start(run_once=True)
    async with get_client() as client:
        return await client.read_deployment(deployment_id), await client.read_flow_run(flow_run.id)


def test_nightly_deployment_registers_its_schedule_and_runs_once(tmp_path):
    drop = write_drop(tmp_path / "drop", make_rows(40, seed=31))
    settings = Settings(
        extracts=drop, warehouse=tmp_path / "wh.duckdb", out=tmp_path / "exports", trials=[TRIAL]
    )
    deployment, flow_run = asyncio.run(_register_and_run_once(nightly_deployment(settings)))

    assert deployment.name == DEPLOYMENT_NAME
    [schedule] = deployment.schedules
    assert schedule.active
    assert schedule.schedule.cron == "0 2 * * *"
    assert schedule.schedule.timezone == local_timezone()
    assert deployment.parameters == {
        "extracts": str(drop),
        "warehouse": str(tmp_path / "wh.duckdb"),
        "out": str(tmp_path / "exports"),
        "trial_ids": [TRIAL],
        "full_refresh": False,
    }
    assert flow_run.state.is_completed(), flow_run.state
    with open_warehouse(tmp_path / "wh.duckdb", read_only=True) as con:
        [run] = list_runs(con)
    assert run["status"] == "succeeded"
    assert run["as_of"] == date.today()  # no as_of parameter: a run screens on its own day
    assert (tmp_path / "exports" / TRIAL / date.today().isoformat() / "candidates.csv").is_file()


def test_schedule_comes_from_the_settings(tmp_path):
    settings = Settings(schedule_cron="30 1 * * 1-5", schedule_timezone="Europe/Zurich")
    [schedule] = nightly_deployment(settings).schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("30 1 * * 1-5", "Europe/Zurich")


def test_prefect_deploy_registers_the_nightly_deployment_of_prefect_yaml():
    """`prefect deploy`, as the README says, against the harness's API."""
    from prefect import get_client
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "PREFECT_CLI_PROMPT": "false"}
    prefect = [sys.executable, "-m", "prefect"]
    for command in (
        ["work-pool", "create", "cohortscan-local", "--type", "process", "--overwrite"],
        ["--no-prompt", "deploy", "--name", DEPLOYMENT_NAME],
    ):
        done = subprocess.run(
            prefect + command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=180
        )
        assert done.returncode == 0, done.stdout + done.stderr

    async def read():
        async with get_client() as client:
            return await client.read_deployment_by_name(f"scan/{DEPLOYMENT_NAME}")

    deployment = asyncio.run(read())
    [schedule] = deployment.schedules
    assert schedule.schedule.cron == "0 2 * * *"
    assert deployment.work_pool_name == "cohortscan-local"
    assert deployment.entrypoint == "pipelines/run/flows.py:scan_flow"
    assert deployment.parameters["extracts"] == "data/sample"
    assert deployment.job_variables["env"] == NO_TELEMETRY_ENV  # each run's process: telemetry off
    assert Path(deployment.pull_steps[0]["prefect.deployments.steps.set_working_directory"]["directory"]) == (
        PROJECT_ROOT
    )
