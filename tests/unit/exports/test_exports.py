"""Exports are written aside and moved into place: complete or absent, never half."""

from pathlib import Path

import pytest

from pipelines.exports.write import RunFolder, clean_partials


def test_run_folder_appears_only_on_commit(tmp_path: Path):
    with RunFolder(tmp_path, "t", "2026-11-26", "run1") as folder:
        folder.path("a.csv").write_text("x\n")
        assert not (tmp_path / "t" / "2026-11-26").exists()
        final = folder.commit()
    assert (final / "a.csv").read_text() == "x\n"
    assert [p.name for p in (tmp_path / "t").iterdir()] == ["2026-11-26"]


def test_run_folder_replaces_the_previous_one_whole(tmp_path: Path):
    for run, name in (("run1", "old.csv"), ("run2", "new.csv")):
        with RunFolder(tmp_path, "t", "2026-11-26", run) as folder:
            folder.path(name).write_text(run)
            folder.commit()
    assert sorted(p.name for p in (tmp_path / "t" / "2026-11-26").iterdir()) == ["new.csv"]


def test_failed_export_leaves_the_previous_folder_untouched(tmp_path: Path):
    with RunFolder(tmp_path, "t", "2026-11-26", "run1") as folder:
        folder.path("a.csv").write_text("first")
        folder.commit()
    with pytest.raises(RuntimeError), RunFolder(tmp_path, "t", "2026-11-26", "run2") as folder:
        folder.path("a.csv").write_text("half")
        raise RuntimeError("disk full")
    assert (tmp_path / "t" / "2026-11-26" / "a.csv").read_text() == "first"
    assert [p.name for p in (tmp_path / "t").iterdir()] == ["2026-11-26"]


def test_leftovers_of_a_killed_export_are_cleaned(tmp_path: Path):
    (tmp_path / "t" / ".2026-11-26.partial-run9").mkdir(parents=True)
    clean_partials(tmp_path)
    assert list((tmp_path / "t").iterdir()) == []
