"""The screening date: a generated sample drop screens on its own date (recorded beside its
files by sample_drops/generator.py), any other drop as of today; a given date always wins."""

from __future__ import annotations

from datetime import date

import pytest

from pipelines import cli
from pipelines.settings import PROJECT_ROOT, SAMPLE_AS_OF_FILE, Settings
from sample_drops import generator


def test_the_bundled_sample_screens_on_the_date_its_generator_anchored_it_on():
    assert (PROJECT_ROOT / "data" / "sample" / SAMPLE_AS_OF_FILE).read_text() == "2026-11-26\n"
    assert Settings().as_of == generator.AS_OF  # default --extracts: data/sample
    assert cli._settings(cli.build_parser().parse_args(["scan"])).as_of == generator.AS_OF


def test_the_generator_and_the_settings_name_the_same_file(tmp_path):
    assert generator.AS_OF_FILE == SAMPLE_AS_OF_FILE
    generator.generate(tmp_path, as_of=date(2025, 3, 4))
    assert Settings(extracts=tmp_path).as_of == date(2025, 3, 4)


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        pytest.param(["--as-of", "2026-06-01"], {}, date(2026, 6, 1), id="explicit-as-of-wins"),
        pytest.param([], {"COHORTSCAN_AS_OF": "2026-07-01"}, date(2026, 7, 1), id="env-as-of-wins"),
        pytest.param([], {}, date(2024, 1, 31), id="sample-date"),
    ],
)
def test_a_given_date_wins_over_the_samples_own(tmp_path, monkeypatch, args, env, expected):
    (tmp_path / SAMPLE_AS_OF_FILE).write_text("2024-01-31\n")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    parsed = cli.build_parser().parse_args(["scan", "--extracts", str(tmp_path), *args])
    assert cli._settings(parsed).as_of == expected


def test_a_real_drop_screens_as_of_today(tmp_path):
    (tmp_path / "labs.csv").write_text("patient_id,code_system,code,result_date\n")
    parsed = cli.build_parser().parse_args(["scan", "--extracts", str(tmp_path)])
    assert cli._settings(parsed).as_of == date.today()
    assert Settings(extracts=tmp_path).as_of == date.today()


def test_an_unreadable_sample_date_is_named_not_guessed(tmp_path):
    (tmp_path / SAMPLE_AS_OF_FILE).write_text("26/11/2026\n")
    with pytest.raises(
        ValueError, match=r"sample-as-of.txt: '26/11/2026' is not a date \(expected YYYY-MM-DD\)"
    ):
        Settings(extracts=tmp_path)
