"""The nightly deployment of the scan flow, built from the settings and served by Prefect.

`cohortscan serve` registers the deployment `scan/nightly-scan` with the Prefect API (a
local server, or the temporary one Prefect starts) and runs its scheduled flow runs in
this process until stopped: Prefect's own `serve`, with no work pool or worker.
`prefect.yaml` at the top of the project declares the same deployment for `prefect
deploy`, for a process work pool and a worker (see README.md, "Operations").

Each run's parameters are the drop folder, trials, warehouse, output and full-refresh
flag; the as-of date is left out so that every run screens on the day it runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pipelines.settings import Settings

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

DEPLOYMENT_NAME = "nightly-scan"


def local_timezone() -> str:
    """This machine's IANA time zone name (e.g. Europe/Zurich), 'UTC' when unknown."""
    import tzlocal

    try:
        return tzlocal.get_localzone_name() or "UTC"
    except Exception:  # tzlocal raises its own errors on odd configurations
        return "UTC"


def nightly_parameters(settings: Settings) -> dict[str, Any]:
    """The scan flow's parameters for every scheduled run (JSON, as Prefect stores them)."""
    return {
        "extracts": str(settings.extracts),
        "warehouse": str(settings.warehouse),
        "out": str(settings.out),
        "trial_ids": settings.trials,
        "full_refresh": settings.full_refresh,
    }


def nightly_deployment(settings: Settings, name: str = DEPLOYMENT_NAME) -> RunnerDeployment:
    """The scan flow as a deployment with the settings' cron schedule and parameters."""
    from prefect.deployments.runner import EntrypointType
    from prefect.schedules import Cron

    from pipelines.run.flows import scan_flow

    timezone = settings.schedule_timezone or local_timezone()
    return scan_flow.to_deployment(
        name=name,
        schedules=[Cron(settings.schedule_cron, timezone=timezone)],
        parameters=nightly_parameters(settings),
        description=f"cohortscan nightly scan ({settings.schedule_cron}, {timezone})",
        tags=["cohortscan", "nightly"],
        entrypoint_type=EntrypointType.MODULE_PATH,
    )


def serve_nightly(settings: Settings) -> None:
    """Register the nightly deployment and execute its runs until interrupted (Ctrl-C)."""
    from prefect import serve

    serve(nightly_deployment(settings))
