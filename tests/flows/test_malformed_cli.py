"""The malformed-input cases end to end through the CLI (`cohortscan validate`), in-process.

A refused case is a drop of its own: the exit status is 2 and the last line on stderr is
the one-line refusal. The accepted cases (rows quarantined, layouts tolerated, a copy
skipped) share one drop and one run, whose exit status is 0 and whose output lists each
file's counts and its first quarantined rows as `<file> line <n>: <reason>`. No case
prints a Python traceback. The same cases, one level down, are tests/unit/ingest/test_malformed_input.py.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import main
from pipelines.run.logfilter import OursOrWarnings

pytestmark = pytest.mark.slow

LABS_HEADER = "patient_id,code_system,code,result_date,value_num,unit\n"
LAB = "P1,LOINC,718-7,2025-06-30,120,g/L\n"
PATIENTS = "patient_id,sex,birth_date,site_id\nP1,F,1980-01-02,SITE_A\n"


@dataclass
class Outcome:
    """What the user saw: exit status, standard output and standard error."""

    code: int
    out: str
    err: str


@contextlib.contextmanager
def _terminal() -> Iterator[tuple[io.StringIO, io.StringIO]]:
    """stdout and stderr as the user's terminal gets them, Prefect's console lines included
    (its handler holds the stream it was given when logging was configured)."""
    import prefect.main  # noqa: F401  (importing it configures logging from pipelines/run/logging.yml)

    out, err = io.StringIO(), io.StringIO()
    console = [
        h for h in logging.getLogger().handlers if any(isinstance(f, OursOrWarnings) for f in h.filters)
    ]
    assert console, "the console handler of pipelines/run/logging.yml is not installed"
    streams = [h.stream for h in console]
    for handler in console:
        handler.setStream(err)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            yield out, err
    finally:
        for handler, stream in zip(console, streams, strict=True):
            handler.setStream(stream)


def _validate(drop: Path, root: Path) -> Outcome:
    with _terminal() as (out, err):
        code = main(
            [
                "validate",
                "--extracts",
                str(drop),
                "--warehouse",
                str(root / "wh.duckdb"),
                "--out",
                str(root / "out"),
            ]
        )
    return Outcome(code, out.getvalue(), err.getvalue())


def _write(folder: Path, name: str, content: str | bytes) -> None:
    """Text is written as UTF-8 (gzip-compressed for a .gz name); bytes as they are."""
    if isinstance(content, str):
        data = content.encode("utf-8")
        content = gzip.compress(data) if name.endswith(".gz") else data
    (folder / name).write_bytes(content)


def _parquet_with_integer_dates(path: Path) -> bytes:
    duckdb.sql(
        "select 'P1' as patient_id, 'LOINC' as code_system, '718-7' as code, "
        "20250101 as result_date, 120.0 as value_num"
    ).write_parquet(str(path))
    return path.read_bytes()


def _truncated_gz() -> bytes:
    whole = gzip.compress((LABS_HEADER + LAB * 20000).encode())
    return whole[: len(whole) // 2]


# --- refused: one drop per case -------------------------------------------------------------

REFUSED = [
    pytest.param(
        "labs.csv",
        "patient_id,code,result_date,value_num\nP1,718-7,2025-06-30,1\n",
        "labs.csv: required column 'code_system' is missing (a labs file needs patient_id, "
        "code_system, code, result_date)",
        id="missing-required-column",
    ),
    pytest.param(
        "patients.csv",
        "patient_id,sex,birth_date,site_id, Patient NAME \nP1,F,1980-01-02,S,Jane Doe\n",
        "patients.csv: header column 5 names a direct identifier (name); the file is refused "
        "whole and nothing of it is stored (remove the column and deliver again)",
        id="direct-identifier-column",
    ),
    pytest.param(
        "patients.csv",
        "patient_id,sex,birth_date,site_id,MRN\nP1,F,1980-01-02,S,12345\n",
        "patients.csv: header column 5 names a direct identifier (medical record number); the file "
        "is refused whole and nothing of it is stored (remove the column and deliver again)",
        id="direct-identifier-mrn",
    ),
    pytest.param(
        "labs.csv",
        (LABS_HEADER + LAB + "P1,LOINC,718-7,2025-06-30,120,\xb5mol/L\n").encode("latin-1"),
        "labs.csv line 3: is not UTF-8 text (expected UTF-8: a wrong encoding corrupts every text "
        "value, so the file is refused whole; re-export it as UTF-8)",
        id="not-utf8",
    ),
    pytest.param(
        "labs.csv",
        (LABS_HEADER + LAB).encode("utf-16"),
        "labs.csv: is UTF-16 or UTF-32 text (expected UTF-8); re-export it as UTF-8",
        id="utf16",
    ),
    pytest.param(
        "labs.csv.gz",
        _truncated_gz(),
        "labs.csv.gz: the gzip data ends early: the file is truncated (expected a complete .csv.gz; "
        "copy it again)",
        id="truncated-csv-gz",
    ),
    pytest.param(
        "labs.csv", "", "labs.csv: the file is empty (expected a header row, then records)", id="empty-file"
    ),
    pytest.param(
        "labs.csv",
        LABS_HEADER + LAB + 'P1,LOINC,"718-7,2025-06-30,120,g/L\n' + LAB,
        "labs.csv line 3: a quote in column code is not closed or is followed by text (expected "
        'RFC 4180 quoting, "..." with "" for a quote inside); the file is refused whole because the '
        "records after it cannot be told apart",
        id="unclosed-quote",
    ),
    pytest.param(
        "labs.csv",
        LABS_HEADER + LAB.replace("\n", "\r\n") + LAB,
        "labs.csv: mixes CRLF and LF line endings (expected one kind throughout); re-export the file",
        id="mixed-line-endings",
    ),
    pytest.param(
        "labs.parquet",
        None,
        "labs.parquet: column result_date (column 4) has type INTEGER (expected DATE, TIMESTAMP or "
        "text YYYY-MM-DD); the file is refused whole",
        id="parquet-wrong-column-type",
    ),
    pytest.param(
        "vitals.csv",
        LABS_HEADER + LAB,
        "vitals.csv: file name matches no kind (expected a name starting with patients, diagnoses, "
        "labs, medications or procedures and ending .csv, .csv.gz or .parquet)",
        id="name-matches-no-kind",
    ),
]


@pytest.mark.parametrize(("name", "content", "message"), REFUSED)
def test_refused_file_exits_2_with_one_line_naming_file_and_fault(tmp_path, name, content, message):
    drop = tmp_path / "drop"
    drop.mkdir()
    if content is None:
        _parquet_with_integer_dates(drop / name)
    else:
        _write(drop, name, content)
    seen = _validate(drop, tmp_path)
    assert seen.code == 2
    assert seen.err.splitlines()[-1] == f"cohortscan: error: {message}"
    assert "Traceback" not in seen.err + seen.out


def test_scan_of_a_refused_drop_exits_2_with_the_same_line_and_writes_no_export(tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    _write(drop, "labs.csv", (LABS_HEADER + LAB + "P\xe9,LOINC,718-7,2025-06-30,120,g/L\n").encode("latin-1"))
    with _terminal() as (out, err):
        code = main(
            [
                "scan",
                "--extracts",
                str(drop),
                "--warehouse",
                str(tmp_path / "wh.duckdb"),
                "--out",
                str(tmp_path / "out"),
            ]
        )
    assert code == 2
    assert err.getvalue().splitlines()[-1] == (
        "cohortscan: error: labs.csv line 3: is not UTF-8 text (expected UTF-8: a wrong encoding corrupts "
        "every text value, so the file is refused whole; re-export it as UTF-8)"
    )
    assert "Traceback" not in err.getvalue() + out.getvalue()
    assert not list((tmp_path / "out").glob("*/*/candidates.csv"))


def test_refused_file_stops_the_drop_after_the_good_files_are_loaded(tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    _write(drop, "labs.csv", LABS_HEADER + LAB)
    _write(
        drop, "patients.csv", PATIENTS.replace("site_id", "site_id,email").replace("SITE_A", "SITE_A,x@y.z")
    )
    seen = _validate(drop, tmp_path)
    assert seen.code == 2
    assert "labs.csv: 1 read, 1 loaded, 0 quarantined" in seen.err
    assert "patients.csv: refused: header column 5 names a direct identifier (email)" in seen.err
    assert "x@y.z" not in seen.err + seen.out
    with duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from raw_labs").fetchone() == (1,)


# --- accepted: one drop, one run --------------------------------------------------------------

ACCEPTED_FILES = {
    "patients.csv": PATIENTS,
    "labs_dates.csv": LABS_HEADER + LAB + "P1,LOINC,718-7,2025-02-30,120,g/L\n",
    # the same bytes under a second name: skipped
    "labs_dates_again.csv": LABS_HEADER + LAB + "P1,LOINC,718-7,2025-02-30,120,g/L\n",
    "labs_numbers.csv": LABS_HEADER
    + 'P1,LOINC,718-7,2025-06-30,"5,2",g/dL\nP1,LOINC,718-7,2025-06-30,12a,g/dL\n',
    "labs_fields.csv": LABS_HEADER
    + LAB
    + "P1,LOINC,718-7,2025-06-30,120\nP1,LOINC,718-7,2025-06-30,1,g/L,x\n",
    "labs_codes.csv": LABS_HEADER + LAB + "P1,LNC,718-7,2025-06-30,120,g/L\n",
    "labs_header.csv": " Patient_ID ,CODE_SYSTEM,Code, result_date,Value_Num ,UNIT\n" + LAB,
    "labs_bom.csv": "\ufeff" + LABS_HEADER + LAB,
    "labs_crlf.csv": (LABS_HEADER + LAB + LAB).replace("\n", "\r\n"),
    "labs_quoted.csv": "patient_id,code_system,code,result_date,value_text,unit\n"
    'P1,LOINC,718-7,2025-06-30,"Positive, confirmed","g/L\nsecond line"\n',
    "labs_header_only.csv": LABS_HEADER,
    "labs_orphan.csv": LABS_HEADER + "NOBODY,LOINC,718-7,2025-06-30,120,g/L\n",
    "labs_long_id.csv": LABS_HEADER + LAB + "P" * 65 + ",LOINC,718-7,2025-06-30,120,g/L\n",
    "patients_more.csv": "patient_id,sex,birth_date,site_id\n"
    "P2,X,1980-01-02,SITE_A\nP3,F,2999-01-01,SITE_A\n",
}


@pytest.fixture(scope="module")
def accepted(tmp_path_factory) -> Outcome:
    """One `cohortscan validate` of a drop holding every accepted case."""
    root = tmp_path_factory.mktemp("accepted")
    drop = root / "drop"
    drop.mkdir()
    for name, content in ACCEPTED_FILES.items():
        _write(drop, name, content)
    return _validate(drop, root)


def test_accepted_drop_exits_0_without_a_traceback(accepted):
    assert accepted.code == 0, accepted.err
    assert "Traceback" not in accepted.err + accepted.out


@pytest.mark.parametrize(
    "shown",
    [
        pytest.param(
            "labs_dates.csv line 3: result_date '2025-02-30' is not a date (expected YYYY-MM-DD)",
            id="impossible-date",
        ),
        pytest.param(
            "labs_numbers.csv line 2: value_num '5,2' is not a number "
            "(expected digits with '.' as decimal point)",
            id="decimal-comma",
        ),
        pytest.param(
            "labs_numbers.csv line 3: value_num '12a' is not a number "
            "(expected digits with '.' as decimal point)",
            id="letters-in-number",
        ),
        pytest.param("labs_fields.csv line 3: 5 fields, expected 6 (too few fields)", id="too-few-fields"),
        pytest.param("labs_fields.csv line 4: 7 fields, expected 6 (too many fields)", id="too-many-fields"),
        pytest.param(
            "labs_codes.csv line 3: code_system 'LNC' is not a known code system (expected LOINC or SCORE)",
            id="unknown-code-system",
        ),
        pytest.param(
            "patients_more.csv line 2: sex 'X' is not a known sex "
            "(expected F, M, U, female, male or unknown)",
            id="unknown-sex",
        ),
        pytest.param(
            "patients_more.csv line 3: birth_date '2999-01-01' is in the future "
            "(expected a date on or before today)",
            id="future-birth-date",
        ),
        pytest.param(
            "labs_long_id.csv line 3: patient_id is 65 characters long (expected at most 64)", id="id-over-64"
        ),
    ],
)
def test_quarantined_row_is_shown_as_file_line_and_reason(accepted, shown):
    assert f"  {shown}\n" in accepted.out


@pytest.mark.parametrize(
    "progress",
    [
        pytest.param("labs_header.csv: 1 read, 1 loaded, 0 quarantined", id="header-case-and-spaces"),
        pytest.param("labs_bom.csv: 1 read, 1 loaded, 0 quarantined", id="utf8-bom"),
        pytest.param("labs_crlf.csv: 2 read, 2 loaded, 0 quarantined", id="crlf"),
        pytest.param("labs_quoted.csv: 1 read, 1 loaded, 0 quarantined", id="quoted-comma-and-newline"),
        pytest.param("labs_header_only.csv: 0 read, 0 loaded, 0 quarantined", id="header-only"),
        pytest.param("labs_orphan.csv: 1 read, 1 loaded, 0 quarantined", id="orphan-row-kept"),
        pytest.param(
            "labs_dates_again.csv: skipped (same content as labs_dates.csv, already loaded)",
            id="same-file-under-two-names",
        ),
    ],
)
def test_accepted_file_is_reported_with_its_counts(accepted, progress):
    assert progress in accepted.err
