"""The Prefect API of a `cohortscan scan` or `validate`: the configured one, or a temporary one.

With a Prefect API configured (PREFECT_API_URL in the environment, the active Prefect
profile or prefect.toml), nothing here changes anything: flows, tasks and logs go there.

Without one, Prefect starts a temporary API server at the first flow call: after every
import, and after importing its whole server package into this process only to launch
it. `prefect_api()` launches the same server instead (Prefect's own command: uvicorn
serving `prefect.server.api.server:create_app` in ephemeral mode, on Prefect's
database) before Prefect is even imported, so that it boots in its own process while
cohortscan imports its modules, and points PREFECT_API_URL at it. That server is stopped
at the end of the run and the run history is the warehouse's `runs` table, so for this
case only it also turns off what only a lasting server needs:

- PREFECT_LOGGING_TO_API_ENABLED=false: progress lines go to the console only, not also
  through a log-shipping thread to a server about to stop;
- flow-run heartbeats (PREFECT_FLOWS_HEARTBEAT_FREQUENCY unset; Prefect's default is
  180 s): they feed zombie-run automations, and ending each flow run's heartbeat thread
  costs up to a second.

Flows and tasks remain Prefect flows and tasks, with their states and retries. The
server process ends with cohortscan, even when cohortscan is killed (on Linux).
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from pipelines.errors import CohortscanError
from pipelines.settings import NO_TELEMETRY_ENV

# The temporary server's own settings: those Prefect's SubprocessASGIServer passes. (Its
# event services, on by default, cost it about 0.3 s of CPU per scan: left on.)
SERVER_ENV = {
    "PREFECT_UI_ENABLED": "0",
    "PREFECT__SERVER_EPHEMERAL": "1",
    "PREFECT__SERVER_FINAL": "1",
}
# Settings of this process while it uses the temporary server.
CLIENT_ENV = {"PREFECT_LOGGING_TO_API_ENABLED": "false"}
LAUNCH_ATTEMPTS = 3
# What `cohortscan serve` asks for when it has no lasting server (README, Operations).
SERVE_COMMANDS = (
    "start one with `.venv/bin/prefect server start`, then in another terminal run "
    "`export PREFECT_API_URL=http://127.0.0.1:4200/api` and `.venv/bin/cohortscan serve` again"
)
HEALTH_TIMEOUT_SECONDS = 5.0


def configured_api_url() -> str | None:
    """The Prefect API configured for this process: PREFECT_API_URL, else the active
    profile's or prefect.toml's (None: Prefect would start a temporary server)."""
    if url := os.environ.get("PREFECT_API_URL"):
        return url
    from prefect.settings import get_current_settings

    return get_current_settings().api.url or None


def require_lasting_server(timeout: float = HEALTH_TIMEOUT_SECONDS) -> str:
    """The URL of the lasting Prefect API `cohortscan serve` registers with.

    Refused (one line naming the commands to run) when none is configured, or when the
    configured one does not answer: Prefect would otherwise register the deployment on
    a temporary server that dies with the process. Any HTTP answer counts (a server
    asking for credentials is there); no answer within `timeout` seconds does not.
    """
    url = configured_api_url()
    if not url:
        raise CohortscanError(
            "cohortscan serve needs a lasting Prefect server and PREFECT_API_URL is not set: "
            + SERVE_COMMANDS
        )
    if not _answers(f"{url.rstrip('/')}/health", timeout):
        raise CohortscanError(
            f"cohortscan serve: the Prefect server at PREFECT_API_URL={url} does not answer: {SERVE_COMMANDS}"
        )
    return url


def ui_url(api_url: str) -> str:
    """The UI of a local Prefect server: its API URL without the trailing /api."""
    return api_url.rstrip("/").removesuffix("/api") or api_url


def _answers(url: str, timeout: float) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout):
            return True
    except urllib.error.HTTPError:
        return True  # an HTTP status from a server that is there
    except (OSError, ValueError):  # refused, unreachable, timed out, not a URL
        return False


class TemporaryServer:
    """Prefect's temporary API server in a child process, on a free local port."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.port = 0

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def launch(self) -> None:
        """Start the server process (it needs a few seconds before it answers)."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        spec = importlib.util.find_spec("prefect")
        site = Path(spec.origin).parent.parent  # what Prefect passes as --app-dir
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "uvicorn", "--app-dir", str(site),
                "--factory", "prefect.server.api.server:create_app",
                "--host", "127.0.0.1", "--port", str(self.port),
                "--log-level", "error", "--lifespan", "on",
            ],
            env={**os.environ, **NO_TELEMETRY_ENV, **SERVER_ENV},
            preexec_fn=_die_with_parent,
        )  # fmt: skip

    def wait_ready(self, timeout: float) -> None:
        """Wait until the server answers; launch it again on another port if it ended
        (another process took the port) before it did."""
        deadline = time.monotonic() + timeout
        attempts = 1
        while not self._healthy():
            if self.process is None or self.process.poll() is not None:
                if attempts == LAUNCH_ATTEMPTS:
                    raise CohortscanError(
                        f"the temporary Prefect API server ended at start-up (exit status "
                        f"{self.process.returncode if self.process else '-'}); set PREFECT_API_URL "
                        "to a running Prefect server instead"
                    )
                attempts += 1
                self.launch()
            if time.monotonic() > deadline:
                self.stop()
                raise CohortscanError(
                    f"the temporary Prefect API server did not answer within {timeout:.0f} s "
                    "(a loaded machine? raise PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, "
                    "or set PREFECT_API_URL to a running Prefect server)"
                )
            time.sleep(0.05)

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


def _die_with_parent() -> None:
    """In the server process: end when cohortscan ends, even killed (Linux)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class PrefectApi:
    """What `prefect_api()` yields: `ready()` before the first flow call."""

    def __init__(self, server: TemporaryServer | None, timeout: float) -> None:
        self.server = server
        self.timeout = timeout

    @property
    def temporary(self) -> bool:
        return self.server is not None

    def ready(self) -> None:
        if self.server is not None:
            self.server.wait_ready(self.timeout)


@contextmanager
def prefect_api() -> Iterator[PrefectApi]:
    """The Prefect API for the flows run inside: the configured one, or a temporary
    server launched now (see the module docstring). Call `ready()` on what it yields
    after the imports, before the first flow."""
    server = None
    if "prefect" not in sys.modules and not os.environ.get("PREFECT_API_URL"):
        server = TemporaryServer()  # most likely needed: launched before importing Prefect
        server.launch()
    try:
        from prefect.settings import get_current_settings

        configured = get_current_settings()
        timeout = float(configured.server.ephemeral.startup_timeout_seconds)
        if configured.api.url or not configured.server.ephemeral.enabled:
            if server is not None:  # a profile or prefect.toml names a server after all
                server.stop()
                server = None
            yield PrefectApi(None, timeout)
            return
        if server is None:
            server = TemporaryServer()
            server.launch()
        with _temporary_settings(server.api_url):
            yield PrefectApi(server, timeout)
    finally:
        if server is not None:
            server.stop()


@contextmanager
def _temporary_settings(api_url: str) -> Iterator[None]:
    """This process's Prefect settings while it uses the temporary server at `api_url`.

    Set in the environment and in Prefect's global settings context, which Prefect's
    background threads (events, logs) read; the heartbeat setting, which has no
    environment form for "off", in the calling thread's context, where flows read it.
    """
    from prefect.context import refresh_global_settings_context
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    changes = {"PREFECT_API_URL": api_url, **CLIENT_ENV}
    saved = {name: os.environ.get(name) for name in changes}
    os.environ.update(changes)
    refresh_global_settings_context()
    try:
        with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            yield
    finally:
        _drain_events()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        refresh_global_settings_context()


def _drain_events() -> None:
    """Send the events still queued before the server stops (as Prefect's test harness
    does), so that nothing complains about a closed connection at exit."""
    from prefect.events.worker import EventsWorker

    with suppress(Exception):  # a failed drain must not hide the run's own outcome
        EventsWorker.drain_all(timeout=5)
