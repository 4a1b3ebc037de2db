"""The warehouse, its spill folder and every patient-level export are readable by their
owner only (or a group set in the settings), whatever the umask; the feasibility report,
meant to leave the site, keeps the ordinary mode."""

from __future__ import annotations

import grp
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines import files
from pipelines.exports import write as exports
from pipelines.run import history as runs
from pipelines.warehouse.connect import open_warehouse
from tests import cohort_data

SMALL = {"SITE_A": {"eligible": 2, "potential": 2, "low_egfr": 1}}
PUBLIC = {"feasibility.json", "feasibility.html"}


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The loosest umask a site could have: without our rule every file is world-writable."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _scan_once(tmp_path: Path) -> tuple[Path, Path]:
    warehouse = tmp_path / "wh" / "cohortscan.duckdb"
    with open_warehouse(warehouse) as con:
        cohort_data.build(con, SMALL)
        trial = cohort_data.evaluate_mini(con)
        runs.start_run(con, "R1", [trial.id], cohort_data.AS_OF, tmp_path)
        folder = exports.write_trial_exports(
            con, trial, tmp_path / "out", cohort_data.AS_OF.isoformat(), "R1", {"run_id": "R1"}
        )
        runs.finish_run(con, "R1", "succeeded")
    return warehouse, folder


def _modes_under(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): _mode(p) for p in sorted(folder.rglob("*"))}


@pytest.mark.usefixtures("open_umask")
def test_warehouse_spill_folder_and_exports_are_private_whatever_the_umask(tmp_path):
    warehouse, folder = _scan_once(tmp_path)
    assert _mode(warehouse) == 0o600
    assert _mode(Path(f"{warehouse}.tmp")) == 0o700
    assert _mode(folder) == 0o700
    assert _mode(folder.parent) == 0o700  # OUT/<trial>/
    modes = _modes_under(folder)
    assert {"candidates.csv", "criteria.parquet", "changes.csv", "run.json"} <= set(modes)
    assert {name: mode for name, mode in modes.items() if name not in PUBLIC} == dict.fromkeys(
        set(modes) - PUBLIC, 0o600
    )
    ordinary = 0o666 & ~files._STARTUP_UMASK
    assert {name: modes[name] for name in PUBLIC} == dict.fromkeys(PUBLIC, ordinary)


@pytest.mark.usefixtures("open_umask")
def test_a_group_set_in_the_settings_may_read_the_private_files(tmp_path, monkeypatch):
    group = grp.getgrgid(os.getgid()).gr_name  # a group this user may hand files to
    monkeypatch.setenv("COHORTSCAN_PRIVATE_GROUP", group)
    warehouse, folder = _scan_once(tmp_path)
    assert (_mode(warehouse), _mode(folder), _mode(folder / "candidates.csv")) == (0o640, 0o750, 0o640)
    assert (folder / "candidates.csv").stat().st_gid == os.getgid()


def test_private_umask_makes_new_files_private_and_restores_the_umask(tmp_path):
    previous = os.umask(0o022)
    try:
        with files.private_umask():
            (tmp_path / "a.csv").write_text("x")
            (tmp_path / "d").mkdir()
        assert os.umask(0o022) == 0o022  # restored
    finally:
        os.umask(previous)
    assert (_mode(tmp_path / "a.csv"), _mode(tmp_path / "d")) == (0o600, 0o700)
