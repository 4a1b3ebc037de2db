"""Flow tests run under one session-wide Prefect test harness (a temporary database)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from pipelines.settings import PROJECT_ROOT

os.environ.setdefault(
    "PREFECT_LOGGING_SETTINGS_PATH", str(PROJECT_ROOT / "pipelines" / "run" / "logging.yml")
)
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")


@pytest.fixture(scope="session", autouse=True)
def prefect_harness() -> Iterator[None]:
    """Every flow in this folder talks to a throwaway Prefect API."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield
