"""Hostile input: for each way a drop file can be wrong, a small case and its outcome.

Each test names the case and what the user sees. The outcome is one of: the file is
loaded (maybe with rows quarantined, each with file, line, column, bad value and what was
expected), skipped (same content already loaded), or refused whole with a one-line
message naming the file and, where there is one, the line. README.md ("Bad input: what
you see") lists the same cases; tests/flows/test_malformed_cli.py runs them through the CLI.
"""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest import load
from pipelines.ingest.load import FileResult, describe, ingest_drop, ingest_file, quarantine_examples
from pipelines.warehouse.connect import connect

LABS_HEADER = "patient_id,code_system,code,result_date,value_num,unit\n"
LAB = "P1,LOINC,718-7,2025-06-30,120,g/L\n"
PATIENTS_HEADER = "patient_id,sex,birth_date,site_id\n"
# A value that must never be found anywhere once its file is refused.
SECRET = "Jane Q. Marker-Doe"


@pytest.fixture(autouse=True, params=["streaming", "parallel"])
def numbering(request, monkeypatch) -> str:
    """Every case twice: records numbered as they are read (one thread per file) and
    numbered on every thread from a stored text table (a drop of fewer files than cores):
    lines, quarantine and refusals must not depend on the way."""
    monkeypatch.setattr(
        load,
        "parallel_numbering",
        lambda con, paths: frozenset(paths if request.param == "parallel" else ()),
    )
    return request.param


def _write(folder: Path, name: str, content: str | bytes) -> Path:
    data = content.encode("utf-8") if isinstance(content, str) else content
    path = folder / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return path


def _ingest(con: duckdb.DuckDBPyConnection, folder: Path, name: str, content: str | bytes) -> FileResult:
    return ingest_file(con, _write(folder, name, content), "run1")


def _quarantine(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("select line, column_name, reason from quarantine order by line, reason").fetchall()


def _shown(con: duckdb.DuckDBPyConnection, result: FileResult) -> list[str]:
    """The quarantine lines the CLI shows for a file."""
    return quarantine_examples(con, [result.load_id], per_file=10).get(result.load_id, [])


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f"select count(*) from {table}").fetchone()[0]


def _assert_refused(con: duckdb.DuckDBPyConnection, result: FileResult, message: str) -> None:
    """Refused whole: the one-line message, and no row of the file anywhere."""
    assert result.status == "refused"
    assert describe(result) == message
    assert "\n" not in describe(result)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (0, 0, 0)
    for table in ("raw_patients", "raw_diagnoses", "raw_labs", "raw_medications", "quarantine"):
        assert _count(con, table) == 0, table


# --- values: quarantined row by row --------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("2025-02-30", id="february-30"),
        pytest.param("2025-13-01", id="month-13"),
        pytest.param("2025-04-31", id="april-31"),
        pytest.param("30/06/2025", id="day-first"),
        pytest.param("2025-6-3", id="no-leading-zeros"),
    ],
)
def test_impossible_date_is_quarantined_with_line_column_and_value(wh, tmp_path, value):
    result = _ingest(wh, tmp_path, "labs.csv", LABS_HEADER + LAB + f"P1,LOINC,718-7,{value},120,g/L\n")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 1, 1)
    assert _shown(wh, result) == [
        f"labs.csv line 3: result_date '{value}' is not a date (expected YYYY-MM-DD)"
    ]


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("5,2", id="decimal-comma"),
        pytest.param("12a", id="letters"),
        pytest.param("1 200", id="thousands-space"),
        pytest.param("1e999", id="overflows-to-infinity"),
    ],
)
def test_decimal_comma_or_letters_in_value_num_is_quarantined_with_line_and_column(wh, tmp_path, value):
    result = _ingest(wh, tmp_path, "labs.csv", LABS_HEADER + f'P1,LOINC,718-7,2025-06-30,"{value}",g/L\n')
    assert result.rows_quarantined == 1
    assert _quarantine(wh) == [
        (2, "value_num", f"value_num '{value}' is not a number (expected digits with '.' as decimal point)")
    ]
    assert _count(wh, "raw_labs") == 0


def test_unknown_code_system_is_quarantined(wh, tmp_path):
    result = _ingest(wh, tmp_path, "labs.csv", LABS_HEADER + "P1,LNC,718-7,2025-06-30,120,g/L\n")
    assert _shown(wh, result) == [
        "labs.csv line 2: code_system 'LNC' is not a known code system (expected LOINC or SCORE)"
    ]


def test_code_system_spelled_with_case_and_punctuation_is_accepted(wh, tmp_path):
    result = _ingest(
        wh,
        tmp_path,
        "diagnoses.csv",
        "patient_id,code_system,code,diagnosis_date\nP1,icd-10-cm,M32.14,2025-01-02\nP1,Snomed,55464009,2025-01-02\n",
    )
    assert (result.rows_loaded, result.rows_quarantined) == (2, 0)


def test_unknown_sex_is_quarantined(wh, tmp_path):
    result = _ingest(wh, tmp_path, "patients.csv", PATIENTS_HEADER + "P1,X,1980-01-02,SITE_A\n")
    assert _shown(wh, result) == [
        "patients.csv line 2: sex 'X' is not a known sex (expected F, M, U, female, male or unknown)"
    ]


def test_future_birth_date_is_quarantined(wh, tmp_path):
    result = _ingest(
        wh,
        tmp_path,
        "patients.csv",
        "patient_id,sex,birth_date,birth_year,site_id\n"
        "P1,F,2999-01-01,,SITE_A\nP2,M,,2999,SITE_A\nP3,F,1980-01-02,,SITE_A\n",
    )
    assert (result.rows_loaded, result.rows_quarantined) == (1, 2)
    assert _shown(wh, result) == [
        "patients.csv line 2: birth_date '2999-01-01' is in the future (expected a date on or before today)",
        "patients.csv line 3: birth_year '2999' is in the future (expected this year or earlier)",
    ]


def test_birth_date_after_a_past_as_of_date_but_before_today_is_a_real_birth(wh, tmp_path):
    # The check uses the day of the load, not a trial's as-of date (README, "Bad input").
    result = _ingest(wh, tmp_path, "patients.csv", PATIENTS_HEADER + f"P1,F,{date.today()},SITE_A\n")
    assert (result.rows_loaded, result.rows_quarantined) == (1, 0)


def test_patient_id_over_64_characters_is_quarantined_without_echoing_the_id(wh, tmp_path):
    long_id = "P" * 65
    result = _ingest(
        wh, tmp_path, "labs.csv", LABS_HEADER + f"{long_id},LOINC,718-7,2025-06-30,120,g/L\n" + LAB
    )
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    assert _shown(wh, result) == ["labs.csv line 2: patient_id is 65 characters long (expected at most 64)"]


def test_patient_id_of_exactly_64_characters_is_loaded(wh, tmp_path):
    result = _ingest(wh, tmp_path, "labs.csv", LABS_HEADER + "P" * 64 + ",LOINC,718-7,2025-06-30,120,g/L\n")
    assert (result.rows_loaded, result.rows_quarantined) == (1, 0)


def test_orphan_lab_for_a_patient_never_delivered_is_kept_not_quarantined(wh, tmp_path):
    # Patients may arrive in a later file or drop; the orphan check is a data-quality
    # expectation on the warehouse, not an ingest rule.
    result = _ingest(wh, tmp_path, "labs.csv", LABS_HEADER + "NOBODY,LOINC,718-7,2025-06-30,120,g/L\n")
    assert (result.rows_loaded, result.rows_quarantined) == (1, 0)
    assert wh.execute("select patient_id from raw_labs").fetchall() == [("NOBODY",)]


# --- records the reader cannot split: quarantined with their raw line ----------------------


def test_rows_with_too_few_or_too_many_fields_are_quarantined_with_counts_and_raw_line(wh, tmp_path):
    result = _ingest(
        wh,
        tmp_path,
        "labs.csv",
        LABS_HEADER
        + LAB
        + "P1,LOINC,718-7,2025-06-30,120\n"
        + "P1,LOINC,718-7,2025-06-30,120,g/L,extra\n"
        + LAB,
    )
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 2, 2)
    assert _shown(wh, result) == [
        "labs.csv line 3: 5 fields, expected 6 (too few fields)",
        "labs.csv line 4: 7 fields, expected 6 (too many fields)",
    ]
    raw = [json.loads(r[0]) for r in wh.execute("select raw_record from quarantine order by line").fetchall()]
    assert raw == [
        {"raw_line": "P1,LOINC,718-7,2025-06-30,120"},
        {"raw_line": "P1,LOINC,718-7,2025-06-30,120,g/L,extra"},
    ]
    assert [r[0] for r in wh.execute("select _line from raw_labs order by 1").fetchall()] == [2, 5]


def test_field_count_ignores_commas_inside_quotes(wh, tmp_path):
    result = _ingest(wh, tmp_path, "labs.csv", LABS_HEADER + 'P1,LOINC,"718-7, or not",2025-06-30,120\n')
    assert _shown(wh, result) == ["labs.csv line 2: 5 fields, expected 6 (too few fields)"]


def test_a_line_of_spaces_is_a_record_with_one_field(wh, tmp_path):
    result = _ingest(wh, tmp_path, "labs.csv", LABS_HEADER + LAB + "   \n" + LAB)
    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
    assert _shown(wh, result) == ["labs.csv line 3: 1 field, expected 6 (too few fields)"]


def test_empty_lines_are_skipped_and_line_numbers_stay_those_of_the_file(wh, tmp_path):
    text = (
        LABS_HEADER
        + LAB
        + "\n"
        + "P2,LOINC,718-7,2025-02-30,1,g/L\n\n\n"
        + "P3,LOINC,718-7,2025-06-30,1\n"
        + LAB
    )
    result = _ingest(wh, tmp_path, "labs.csv", text)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 2, 2)
    assert _shown(wh, result) == [
        "labs.csv line 4: result_date '2025-02-30' is not a date (expected YYYY-MM-DD)",
        "labs.csv line 7: 5 fields, expected 6 (too few fields)",
    ]
    assert [r[0] for r in wh.execute("select _line from raw_labs order by 1").fetchall()] == [2, 8]


# --- layout variants that are accepted ------------------------------------------------------


def test_headers_in_other_case_or_with_spaces_are_accepted(wh, tmp_path):
    result = _ingest(
        wh, tmp_path, "labs.csv", " Patient_ID ,CODE_SYSTEM,Code, result_date,Value_Num ,UNIT\n" + LAB
    )
    assert (result.status, result.rows_loaded) == ("loaded", 1)


def test_a_header_with_an_inner_space_is_refused_with_a_hint(wh, tmp_path):
    result = _ingest(wh, tmp_path, "labs.csv", "Patient ID,code_system,code,result_date,value_num\n")
    _assert_refused(
        wh,
        result,
        "labs.csv: refused: required column 'patient_id' is missing (a labs file needs patient_id, "
        "code_system, code, result_date; found 'patient id', spelled differently)",
    )


def test_utf8_byte_order_mark_is_accepted(wh, tmp_path):
    result = _ingest(wh, tmp_path, "labs.csv", b"\xef\xbb\xbf" + (LABS_HEADER + LAB).encode())
    assert (result.status, result.rows_loaded) == ("loaded", 1)


def test_crlf_line_endings_are_accepted(wh, tmp_path):
    text = (LABS_HEADER + LAB + "P1,LOINC,718-7,2025-06-30,120\n" + LAB).replace("\n", "\r\n")
    result = _ingest(wh, tmp_path, "labs.csv", text)
    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
    assert _shown(wh, result) == ["labs.csv line 3: 5 fields, expected 6 (too few fields)"]
    assert wh.execute("select distinct unit from raw_labs").fetchall() == [("g/L",)]


def test_mixed_crlf_and_lf_line_endings_refuse_the_file(wh, tmp_path):
    result = _ingest(wh, tmp_path, "labs.csv", LABS_HEADER + LAB.replace("\n", "\r\n") + LAB)
    _assert_refused(
        wh,
        result,
        "labs.csv: refused: mixes CRLF and LF line endings (expected one kind throughout); "
        "re-export the file",
    )


def test_quoted_fields_with_commas_quotes_and_newlines_are_read_whole(wh, tmp_path):
    result = _ingest(
        wh,
        tmp_path,
        "labs.csv",
        "patient_id,code_system,code,result_date,value_text,unit\n"
        'P1,LOINC,718-7,2025-06-30,"Positive, confirmed","g/L ""SI""\nline two"\n'
        "P1,LOINC,718-7,2025-06-30,120\n",
    )
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 1, 1)
    assert wh.execute("select value_text, unit from raw_labs").fetchall() == [
        ("Positive, confirmed", 'g/L "SI"\nline two')
    ]
    # The quoted newline does not start a line: the short record is line 3.
    assert _shown(wh, result) == ["labs.csv line 3: 5 fields, expected 6 (too few fields)"]


def test_header_only_file_loads_no_rows(wh, tmp_path):
    result = _ingest(wh, tmp_path, "labs.csv", LABS_HEADER)
    assert (result.status, result.rows_read, result.rows_loaded) == ("loaded", 0, 0)
    assert describe(result) == "labs.csv: 0 read, 0 loaded, 0 quarantined"


# --- whole files refused --------------------------------------------------------------------


def test_empty_file_is_refused(wh, tmp_path):
    result = _ingest(wh, tmp_path, "labs.csv", "")
    _assert_refused(wh, result, "labs.csv: refused: the file is empty (expected a header row, then records)")


def test_file_starting_with_an_empty_line_is_refused(wh, tmp_path):
    result = _ingest(wh, tmp_path, "labs.csv", "\n" + LABS_HEADER + LAB)
    _assert_refused(wh, result, "labs.csv: refused: the first line is empty (expected the header row)")


def test_missing_required_column_is_refused(wh, tmp_path):
    result = _ingest(
        wh, tmp_path, "labs.csv", "patient_id,code,result_date,value_num\nP1,718-7,2025-06-30,1\n"
    )
    _assert_refused(
        wh,
        result,
        "labs.csv: refused: required column 'code_system' is missing (a labs file needs patient_id, "
        "code_system, code, result_date)",
    )


def test_header_repeating_a_column_is_refused(wh, tmp_path):
    result = _ingest(wh, tmp_path, "labs.csv", LABS_HEADER.replace(",unit", ", CODE") + LAB)
    _assert_refused(wh, result, "labs.csv: refused: header columns 3 and 6 have the same name (code)")


@pytest.mark.parametrize(
    ("header", "found"),
    [
        pytest.param("name", "name", id="name"),
        pytest.param("Patient Name", "name", id="patient-name-spaced"),
        pytest.param("LAST_NAME", "name", id="last-name-upper"),
        pytest.param(" MRN ", "medical record number", id="mrn-padded"),
        pytest.param("Medical Record Number", "medical record number", id="medical-record-number"),
        pytest.param("ssn", "national id (SSN, NHS number, passport)", id="ssn"),
        pytest.param("Home Address", "address", id="address"),
        pytest.param("zip_code", "address", id="zip"),
        pytest.param("Phone-Number", "phone", id="phone"),
        pytest.param("E-Mail", "email", id="email"),
    ],
)
def test_direct_identifier_column_refuses_the_file_in_any_case_or_spacing(wh, tmp_path, header, found):
    result = _ingest(
        wh,
        tmp_path,
        "patients.csv",
        f"patient_id,sex,birth_date,site_id,{header}\nP1,F,1980-01-02,S,{SECRET}\n",
    )
    _assert_refused(
        wh,
        result,
        f"patients.csv: refused: header column 5 names a direct identifier ({found}); the file is "
        "refused whole and nothing of it is stored (remove the column and deliver again)",
    )


def test_refused_file_leaves_no_trace_in_warehouse_quarantine_ledger_or_logs(tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    _write(drop, "patients.csv", f"patient_id,sex,birth_date,site_id,Full Name\nP1,F,1980-01-02,S,{SECRET}\n")
    _write(drop, "labs.csv", LABS_HEADER + LAB)
    _write(
        drop,
        "labs_latin1.csv",
        (LABS_HEADER + LAB + f"P1,LOINC,718-7,2025-06-30,120,{SECRET} \xe9\n").encode("latin-1"),
    )
    warehouse = tmp_path / "wh.duckdb"
    progress: list[str] = []
    con = connect(warehouse)
    results = {r.file_name: r for r in ingest_drop(con, drop, "run1", progress=progress.append)}
    assert results["patients.csv"].status == "refused"
    assert results["labs_latin1.csv"].status == "refused"
    assert results["labs.csv"].status == "loaded"
    texts = [
        str(con.execute(f"select * from {t}").fetchall())
        for t in ("load_ledger", "quarantine", "raw_patients", "raw_labs")
    ]
    con.execute("checkpoint")
    con.close()
    assert not any(SECRET in text for text in texts + progress)
    # the warehouse file, its WAL and whatever DuckDB spilled into its temp folder
    stored = [p for p in tmp_path.glob("wh.duckdb*") if p.is_file()]
    stored += [p for p in tmp_path.glob("wh.duckdb*/**/*") if p.is_file()]
    assert stored
    for path in stored:
        assert SECRET.encode() not in path.read_bytes(), path.name


def test_file_not_utf8_in_a_record_is_refused_whole_at_its_line(wh, tmp_path):
    text = (LABS_HEADER + LAB + "P\xe9,LOINC,718-7,2025-06-30,120,g/L\n" + LAB).encode("latin-1")
    result = _ingest(wh, tmp_path, "labs.csv", text)
    _assert_refused(
        wh,
        result,
        "labs.csv line 3: refused: is not UTF-8 text (expected UTF-8: a wrong encoding corrupts "
        "every text value, so the file is refused whole; re-export it as UTF-8)",
    )


def test_file_not_utf8_far_into_the_file_is_refused_at_its_line(wh, tmp_path):
    text = (LABS_HEADER + LAB * 5000 + "P1,LOINC,718-7,2025-06-30,120,\xb5mol/L\n").encode("latin-1")
    result = _ingest(wh, tmp_path, "labs.csv.gz", text)
    assert result.status == "refused"
    assert describe(result).startswith("labs.csv.gz line 5002: refused: is not UTF-8 text")


def test_header_not_utf8_is_refused(wh, tmp_path):
    result = _ingest(
        wh, tmp_path, "labs.csv", (LABS_HEADER.replace("unit", "unit\xe9") + LAB).encode("latin-1")
    )
    _assert_refused(
        wh, result, "labs.csv: refused: the header is not UTF-8 text (expected UTF-8; re-export it as UTF-8)"
    )


def test_utf16_file_is_refused(wh, tmp_path):
    result = _ingest(wh, tmp_path, "labs.csv", (LABS_HEADER + LAB).encode("utf-16"))
    _assert_refused(
        wh, result, "labs.csv: refused: is UTF-16 or UTF-32 text (expected UTF-8); re-export it as UTF-8"
    )


def test_unclosed_quote_refuses_the_file_instead_of_swallowing_the_records_after_it(wh, tmp_path):
    result = _ingest(
        wh, tmp_path, "labs.csv", LABS_HEADER + LAB + 'P1,LOINC,"718-7,2025-06-30,120,g/L\n' + LAB * 3
    )
    _assert_refused(
        wh,
        result,
        "labs.csv line 3: refused: a quote in column code is not closed or is followed by text "
        '(expected RFC 4180 quoting, "..." with "" for a quote inside); the file is refused whole '
        "because the records after it cannot be told apart",
    )


def test_truncated_csv_gz_is_refused(wh, tmp_path):
    whole = gzip.compress((LABS_HEADER + LAB * 20000).encode())
    path = tmp_path / "labs.csv.gz"
    path.write_bytes(whole[: len(whole) // 2])
    result = ingest_file(wh, path, "run1")
    _assert_refused(
        wh,
        result,
        "labs.csv.gz: refused: the gzip data ends early: the file is truncated (expected a complete "
        ".csv.gz; copy it again)",
    )


def test_truncated_csv_gz_missing_only_its_trailer_is_refused(wh, tmp_path):
    whole = gzip.compress((LABS_HEADER + LAB).encode())
    path = tmp_path / "labs.csv.gz"
    path.write_bytes(whole[:-4])
    assert ingest_file(wh, path, "run1").status == "refused"


def test_csv_gz_name_on_plain_text_is_refused(wh, tmp_path):
    path = tmp_path / "labs.csv.gz"
    path.write_text(LABS_HEADER + LAB)
    result = ingest_file(wh, path, "run1")
    _assert_refused(
        wh,
        result,
        "labs.csv.gz: refused: is not valid gzip data (expected a gzip-compressed CSV for a .csv.gz name)",
    )


def test_file_whose_name_matches_no_kind_is_refused(wh, tmp_path):
    result = _ingest(wh, tmp_path, "vitals.csv", LABS_HEADER + LAB)
    assert result.status == "refused"
    assert describe(result) == (
        "vitals.csv: refused: file name matches no kind (expected a name starting with patients, "
        "diagnoses, labs, medications or procedures and ending .csv, .csv.gz or .parquet)"
    )


# --- the same content twice -------------------------------------------------------------------


def test_same_file_twice_under_two_names_in_one_drop_is_loaded_once(wh, tmp_path):
    _write(tmp_path, "labs.csv", LABS_HEADER + LAB)
    _write(tmp_path, "labs_copy.csv", LABS_HEADER + LAB)
    first, second = ingest_drop(wh, tmp_path, "run1")
    assert (first.status, second.status) == ("loaded", "skipped")
    assert describe(second) == "labs_copy.csv: skipped (same content as labs.csv, already loaded)"
    assert _count(wh, "raw_labs") == 1


def test_same_file_under_another_name_in_a_later_drop_is_skipped(wh, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _write(tmp_path / "a", "labs.csv", LABS_HEADER + LAB)
    _write(tmp_path / "b", "labs_2025-07-01.csv", LABS_HEADER + LAB)
    ingest_drop(wh, tmp_path / "a", "run1")
    [again] = ingest_drop(wh, tmp_path / "b", "run2")
    assert again.status == "skipped"
    assert _count(wh, "raw_labs") == 1


# --- parquet --------------------------------------------------------------------------------


def _parquet(path: Path, select: str) -> Path:
    duckdb.sql(select).write_parquet(str(path))
    return path


def test_parquet_with_a_date_column_of_integer_type_is_refused(wh, tmp_path):
    path = _parquet(
        tmp_path / "labs.parquet",
        "select 'P1' as patient_id, 'LOINC' as code_system, '718-7' as code, "
        "20250101 as result_date, 120.0 as value_num",
    )
    result = ingest_file(wh, path, "run1")
    _assert_refused(
        wh,
        result,
        "labs.parquet: refused: column result_date (column 4) has type INTEGER (expected DATE, "
        "TIMESTAMP or text YYYY-MM-DD); the file is refused whole",
    )


def test_parquet_with_a_code_of_float_type_is_refused(wh, tmp_path):
    path = _parquet(
        tmp_path / "diagnoses.parquet",
        "select 'P1' as patient_id, 'ICD9CM' as code_system, 250.00::double as code, "
        "date '2025-01-01' as diagnosis_date",
    )
    result = ingest_file(wh, path, "run1")
    assert result.status == "refused"
    assert "column code (column 3) has type DOUBLE (expected text or integer)" in result.message


def test_parquet_with_typed_columns_and_a_bad_text_date_quarantines_by_row(wh, tmp_path):
    path = _parquet(
        tmp_path / "labs.parquet",
        "select * from (values "
        "('P1', 'LOINC', '718-7', '2025-06-30', 120.5::double), "
        "('P1', 'LOINC', '718-7', '2025-02-30', 121.0::double)"
        ") t(patient_id, code_system, code, result_date, value_num)",
    )
    result = ingest_file(wh, path, "run1")
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    assert _shown(wh, result) == [
        "labs.parquet row 2: result_date '2025-02-30' is not a date (expected YYYY-MM-DD)"
    ]


def test_parquet_zoned_timestamp_gives_its_utc_date(wh, tmp_path):
    path = _parquet(
        tmp_path / "labs.parquet",
        "select 'P1' as patient_id, 'LOINC' as code_system, '718-7' as code, "
        "timestamptz '2025-06-30 23:30:00+00' as result_date, 120 as value_num",
    )
    assert ingest_file(wh, path, "run1").rows_loaded == 1
    assert wh.execute("select result_date from raw_labs").fetchone()[0] == date(2025, 6, 30)


def test_truncated_parquet_is_refused(wh, tmp_path):
    path = _parquet(tmp_path / "full.parquet", "select 'P1' as patient_id, 'F' as sex, 'S' as site_id")
    broken = tmp_path / "patients.parquet"
    broken.write_bytes(path.read_bytes()[:-20])
    path.unlink()
    result = ingest_file(wh, broken, "run1")
    _assert_refused(
        wh,
        result,
        "patients.parquet: refused: is not a readable parquet file (truncated or not parquet?); "
        "deliver it again",
    )


def test_csv_gz_compressed_twice_is_refused(wh, tmp_path):
    path = tmp_path / "labs.csv.gz"
    path.write_bytes(gzip.compress(gzip.compress((LABS_HEADER + LAB).encode())))
    result = ingest_file(wh, path, "run1")
    _assert_refused(
        wh, result, "labs.csv.gz: refused: holds gzip data inside its gzip data (compressed twice?)"
    )


def test_gzip_data_named_csv_is_refused(wh, tmp_path):
    path = tmp_path / "labs.csv"
    path.write_bytes(gzip.compress((LABS_HEADER + LAB).encode()))
    result = ingest_file(wh, path, "run1")
    _assert_refused(
        wh,
        result,
        "labs.csv: refused: is gzip-compressed (expected plain CSV for a .csv name; name it .csv.gz)",
    )


def test_utf16_without_byte_order_mark_is_refused(wh, tmp_path):
    result = _ingest(wh, tmp_path, "labs.csv", (LABS_HEADER + LAB).encode("utf-16-le"))
    _assert_refused(
        wh,
        result,
        "labs.csv: refused: holds NUL bytes, so it is not UTF-8 text (UTF-16 without a byte-order "
        "mark, or binary data?); re-export it as UTF-8 CSV",
    )


def test_record_longer_than_the_reader_limit_is_quarantined_and_the_next_is_read(wh, tmp_path):
    long_unit = "x" * 3_000_000
    result = _ingest(
        wh, tmp_path, "labs.csv", LABS_HEADER + f"P1,LOINC,718-7,2025-06-30,120,{long_unit}\n" + LAB
    )
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 1, 1)
    assert _shown(wh, result) == [
        "labs.csv line 2: the record is longer than 2097152 bytes (expected shorter records)"
    ]


def test_a_file_that_is_not_an_extract_is_ignored_and_reported(wh, tmp_path):
    result = _ingest(wh, tmp_path, "README.txt", "notes about the drop\n")
    assert result.status == "ignored"
    assert describe(result) == (
        "README.txt: ignored (not an extract file (expected .csv, .csv.gz or .parquet))"
    )
