"""What a scan killed while exporting leaves behind, and how the next scan tidies it."""

from __future__ import annotations

from pipelines.exports.write import clean_partials


def _folder(path, content: str):
    path.mkdir(parents=True)
    (path / "candidates.csv").write_text(content)
    return path


def test_half_written_folder_is_removed(tmp_path):
    _folder(tmp_path / "trial" / ".2026-11-26.partial-20261126T020000-abc123", "half")
    clean_partials(tmp_path)
    assert list((tmp_path / "trial").iterdir()) == []


def test_previous_folder_set_aside_goes_back_when_the_new_one_never_arrived(tmp_path):
    _folder(tmp_path / "trial" / ".2026-11-26.old-abc123", "previous")
    clean_partials(tmp_path)
    assert (tmp_path / "trial" / "2026-11-26" / "candidates.csv").read_text() == "previous"
    assert [p.name for p in (tmp_path / "trial").iterdir()] == ["2026-11-26"]


def test_previous_folder_set_aside_is_removed_once_the_new_one_is_in_place(tmp_path):
    _folder(tmp_path / "trial" / ".2026-11-26.old-abc123", "previous")
    _folder(tmp_path / "trial" / "2026-11-26", "new")
    clean_partials(tmp_path)
    assert (tmp_path / "trial" / "2026-11-26" / "candidates.csv").read_text() == "new"
    assert [p.name for p in (tmp_path / "trial").iterdir()] == ["2026-11-26"]
