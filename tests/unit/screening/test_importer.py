"""Importing a screening-log CSV: every bad row named by line and column, the whole file
or nothing, and a file imported twice records nothing twice."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipelines.screening import importer
from pipelines.screening.events import ImportRefused
from tests import cohort_data

TRIAL = cohort_data.TRIAL_ID
GOOD = "SITE_A-eligible-00"
HEADER = "trial_id,patient_id,state,reason,until,criterion,decision,decided_on,note\n"
TODAY = date(2026, 11, 27)


@pytest.fixture
def con(wh):
    cohort_data.build(wh)
    cohort_data.evaluate_mini(wh)
    return wh


def _import(con, tmp_path: Path, body: str, header: str = HEADER, name: str = "log.csv"):
    path = tmp_path / name
    path.write_text(header + body, encoding="utf-8")
    return importer.import_file(con, path, cohort_data.TRIALS_DIR, "mlee", today=TODAY)


def _events(con) -> int:
    return con.execute("select count(*) from screening_events").fetchone()[0]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        pytest.param(
            f"{TRIAL},{GOOD},maybe,,,,,,\n",
            "log.csv line 2, column state: state 'maybe' is not a screening state "
            "(expected one of to_review,",
            id="unknown-state",
        ),
        pytest.param(
            f"{TRIAL},{GOOD},deferred,patient_request,2026-13-01,,,,\n",
            "log.csv line 2, column until: '2026-13-01' is not a date (expected YYYY-MM-DD)",
            id="bad-until-date",
        ),
        pytest.param(
            f"{TRIAL},NOPE,reviewed,,,,,,\n",
            "log.csv line 2, column patient_id: patient 'NOPE' is not in mini_trial's last evaluation",
            id="unknown-patient",
        ),
        pytest.param(
            f"nope_trial,{GOOD},reviewed,,,,,,\n",
            "log.csv line 2, column trial_id: 'nope_trial' is not a trial (expected one of",
            id="unknown-trial",
        ),
        pytest.param(
            f"{TRIAL},{GOOD},,signed,,inc_kidney,met,,\n",
            "column criterion: criterion 'inc_kidney' is not a criterion of mini_trial "
            "(expected one of inc_age, inc_diagnosis, inc_renal, inc_consent)",
            id="unknown-criterion",
        ),
        pytest.param(
            f"{TRIAL},{GOOD},,signed,,inc_consent,yes,,\n",
            "column decision: decision 'yes' is not a criterion decision (expected met or not_met)",
            id="bad-decision",
        ),
        pytest.param(
            f"{TRIAL},{GOOD},screen_failed,,,,,,\n",
            "column reason: state screen_failed needs a reason (expected one of criterion_not_met,",
            id="screen-failure-without-reason",
        ),
        pytest.param(
            f"{TRIAL},{GOOD},declined,bored,,,,,\n",
            "column reason: reason 'bored' is not a state declined reason (expected one of not_interested,",
            id="unknown-reason",
        ),
        pytest.param(
            f"{TRIAL},{GOOD},deferred,patient_request,,,,,\n",
            "column until: state deferred needs an until date",
            id="deferral-without-date",
        ),
        pytest.param(
            f"{TRIAL},{GOOD},enrolled,,,,,,\n",
            "column state: state 'enrolled' cannot follow 'to_review' (from 'to_review': to_review,",
            id="transition-not-allowed",
        ),
        pytest.param(
            f"{TRIAL},{GOOD},reviewed,,,,,2026-12-25,\n",
            "column decided_on: decision date 2026-12-25 is in the future "
            "(expected a date on or before 2026-11-27)",
            id="decided-in-the-future",
        ),
        pytest.param(
            f"{TRIAL},{GOOD},reviewed,,,,,,{'x' * 201}\n",
            "column note: the note is 201 characters long (expected at most 200)",
            id="note-too-long",
        ),
        pytest.param(
            f"{TRIAL},{GOOD},reviewed\n",
            "log.csv line 2: 3 fields, expected 9",
            id="too-few-fields",
        ),
        pytest.param(
            f"{TRIAL},{GOOD},reviewed,,,inc_consent,met,,\n",
            "column state: give either a state or a criterion decision",
            id="state-and-criterion",
        ),
    ],
)
def test_a_bad_row_refuses_the_file_naming_its_line_and_column(con, tmp_path, row, message):
    good = f"{TRIAL},SITE_A-eligible-01,reviewed,,,,,,\n"
    with pytest.raises(ImportRefused) as refused:
        _import(con, tmp_path, good + row.replace("line 2", "line 3"))
    assert message.replace("line 2", "line 3") in str(refused.value)
    assert "\n" not in str(refused.value)
    assert _events(con) == 0, "the good row before it is not recorded either"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        pytest.param("patient_id,state\n", "required column 'trial_id' is missing", id="missing-column"),
        pytest.param(
            "trial_id,patient_id,status\n",
            "header column 3 'status' is not a screening-log column",
            id="unknown-column",
        ),
        pytest.param("", "the file is empty", id="empty-file"),
    ],
)
def test_a_bad_header_refuses_the_file(con, tmp_path, header, message):
    with pytest.raises(ImportRefused, match=message):
        _import(con, tmp_path, "", header=header)


def test_every_bad_row_is_listed_not_only_the_first(con, tmp_path):
    body = f"{TRIAL},NOPE,reviewed,,,,,,\n{TRIAL},{GOOD},maybe,,,,,,\n"
    with pytest.raises(ImportRefused) as refused:
        _import(con, tmp_path, body)
    assert "2 bad row(s), nothing recorded" in str(refused.value)
    assert "line 2, column patient_id" in str(refused.value)
    assert "line 3, column state" in str(refused.value)


def test_importing_a_file_twice_records_nothing_twice_and_a_grown_log_only_its_new_rows(con, tmp_path):
    rows = (
        f"{TRIAL},{GOOD},reviewed,,,,,2026-11-26,\n"
        f"{TRIAL},{GOOD},,signed,,inc_consent,met,2026-11-26,signed on paper\n"
    )
    first = _import(con, tmp_path, rows)
    again = _import(con, tmp_path, rows)
    grown = _import(con, tmp_path, rows + f"{TRIAL},{GOOD},contacted,,,,,2026-11-26,\n")
    assert (first.recorded, first.skipped) == (2, 0)
    assert (again.recorded, again.skipped) == (0, 2)
    assert (grown.recorded, grown.skipped) == (1, 2)
    assert _events(con) == 3
    lines = con.execute(
        "select source_file, source_line, decided_by from screening_events order by 2"
    ).fetchall()
    assert lines == [("log.csv", 2, "mlee"), ("log.csv", 3, "mlee"), ("log.csv", 4, "mlee")]


def test_a_bom_crlf_and_header_case_are_read(con, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(
        "\ufeffTrial_ID , Patient_ID,State\r\n".encode() + f"{TRIAL},{GOOD},reviewed\r\n".encode()
    )
    result = importer.import_file(con, path, cohort_data.TRIALS_DIR, "mlee", today=TODAY)
    assert result.recorded == 1
