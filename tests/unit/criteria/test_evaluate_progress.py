"""Progress lines while a trial's criteria are materialised (minutes on a large drop)."""

from __future__ import annotations

import duckdb

from pipelines.criteria import evaluate, trials
from tests import cohort_data


def _lines_when_every_line_is_due(wh: duckdb.DuckDBPyConnection, trial: trials.Trial) -> list[str]:
    """The progress lines of materialising `trial`'s criteria with no wait between lines."""
    lines: list[str] = []
    evaluate.evaluate_trial(wh, trial, cohort_data.AS_OF)  # schema, params and views
    wh.execute(f"set schema = '{trial.id}'")
    evaluate.materialise_criteria(wh, trial, lines.append, every=0)
    wh.execute("set schema = 'main'")
    return lines


def test_each_criterion_but_the_last_is_reported_when_every_line_is_due(wh):
    cohort_data.build(wh)
    trial = cohort_data.mini_trial()
    lines = _lines_when_every_line_is_due(wh, trial)
    total = len(trial.criteria)
    assert len(lines) == total - 1
    for done, (line, criterion) in enumerate(zip(lines, trial.criteria, strict=False), start=1):
        assert line.startswith(f"{trial.id}: {done} of {total} criteria evaluated (")
        assert line.endswith(f"; last {criterion.id})")


def test_a_quick_evaluation_prints_no_progress_line(wh):
    cohort_data.build(wh)
    lines: list[str] = []
    evaluate.evaluate_trial(wh, cohort_data.mini_trial(), cohort_data.AS_OF, progress=lines.append)
    assert lines == []


def test_progress_lines_name_counts_and_criteria_never_patients(wh):
    cohort_data.build(wh)
    lines = _lines_when_every_line_is_due(wh, cohort_data.mini_trial())
    patients = [row[0] for row in wh.execute("select patient_id from stg_patients").fetchall()]
    assert lines and not any(p in line for line in lines for p in patients)
