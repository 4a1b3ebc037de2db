"""`cohortscan scan --full` (or COHORTSCAN_FULL) reaches the scan as `Settings.full`."""

from __future__ import annotations

import pytest

from pipelines import cli


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        pytest.param([], None, False, id="a_scan_stages_a_delta_when_it_can"),
        pytest.param(["--full"], None, True, id="full_flag_forces_a_complete_scan"),
        pytest.param([], "true", True, id="environment_forces_a_complete_scan"),
    ],
)
def test_full_is_read_from_the_flag_or_the_environment(monkeypatch, args, env, expected) -> None:
    if env is None:
        monkeypatch.delenv("COHORTSCAN_FULL", raising=False)
    else:
        monkeypatch.setenv("COHORTSCAN_FULL", env)
    assert cli._settings(cli.build_parser().parse_args(["scan", *args])).full is expected
