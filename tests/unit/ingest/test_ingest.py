"""Ingest: ledger, skip by hash, quarantine with line and column, refusal of a file."""

import gzip
from pathlib import Path

import duckdb
import pytest

from pipelines.errors import DropRefused
from pipelines.ingest.load import ingest_drop, ingest_file

PATIENTS = "patient_id,sex,birth_date,site_id\nP1,F,1980-01-02,SITE_A\nP2,m,1990-03-04,SITE_B\n"
LABS = (
    "patient_id,code_system,code,result_date,value_num,value_text,unit\n"
    "P1,LOINC,718-7,2026-11-01,120,,g/L\n"
    "P1,LOINC,718-7,2025-02-30,120,,g/L\n"
    'P2,LOINC,718-7,2026-11-01,"5,2",,g/dL\n'
)


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    if name.endswith(".gz"):
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            handle.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _count(con, table: str) -> int:
    return con.execute(f"select count(*) from {table}").fetchall()[0][0]


def test_rows_read_equal_rows_loaded_plus_quarantined(wh, tmp_path):
    _write(tmp_path, "labs.csv", LABS)
    [result] = ingest_drop(wh, tmp_path, "run1")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 1, 2)
    assert _count(wh, "raw_labs") == 1


def test_quarantine_names_file_line_column_and_reason_in_words(wh, tmp_path):
    _write(tmp_path, "labs.csv", LABS)
    ingest_drop(wh, tmp_path, "run1")
    rows = wh.execute("select file_name, line, column_name, reason from quarantine order by line").fetchall()
    assert rows == [
        ("labs.csv", 3, "result_date", "result_date '2025-02-30' is not a date (expected YYYY-MM-DD)"),
        (
            "labs.csv",
            4,
            "value_num",
            "value_num '5,2' is not a number (expected digits with '.' as decimal point)",
        ),
    ]


def test_file_already_loaded_is_skipped_and_reported(wh, tmp_path):
    _write(tmp_path, "patients.csv", PATIENTS)
    ingest_drop(wh, tmp_path, "run1")
    [again] = ingest_drop(wh, tmp_path, "run2")
    assert again.status == "skipped"
    assert "already loaded" in again.message
    assert _count(wh, "raw_patients") == 2


def test_ledger_records_hash_and_counts(wh, tmp_path):
    _write(tmp_path, "patients.csv", PATIENTS)
    [result] = ingest_drop(wh, tmp_path, "run1")
    ledger = wh.execute(
        "select file_name, kind, sha256, status, rows_read, rows_loaded, rows_quarantined from load_ledger"
    ).fetchall()
    assert ledger == [("patients.csv", "patients", result.sha256, "loaded", 2, 2, 0)]


def test_several_files_of_one_kind_make_one_table_across_formats(wh, tmp_path):
    _write(tmp_path, "patients_a.csv", PATIENTS)
    _write(tmp_path, "patients-b.csv.gz", "patient_id,sex,birth_year,site_id\nP3,U,1970,SITE_C\n")
    duckdb.sql(
        "select 'P4' as patient_id, 'F' as sex, date '1960-01-01' as birth_date, 'SITE_A' as site_id"
    ).write_parquet(str(tmp_path / "patients-part-0003.parquet"))
    results = ingest_drop(wh, tmp_path, "run1")
    assert [r.status for r in results] == ["loaded"] * 3
    assert _count(wh, "raw_patients") == 4


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("name", id="name"),
        pytest.param("First Name", id="first-name-spaced"),
        pytest.param(" MRN ", id="mrn"),
        pytest.param("patient_ssn", id="ssn"),
        pytest.param("Street Address", id="address"),
        pytest.param("phone_number", id="phone"),
        pytest.param("EMAIL", id="email"),
    ],
)
def test_direct_identifier_header_refuses_the_file_and_stores_nothing(wh, tmp_path, header):
    _write(
        tmp_path, "patients.csv", f"patient_id,sex,birth_date,site_id,{header}\nP1,F,1980-01-02,S,secret\n"
    )
    [result] = ingest_drop(wh, tmp_path, "run1")
    assert result.status == "refused"
    assert "names a direct identifier" in result.message
    assert _count(wh, "raw_patients") == 0
    assert _count(wh, "quarantine") == 0


def test_missing_required_column_refuses_the_file(wh, tmp_path):
    path = _write(tmp_path, "labs.csv", "patient_id,code,result_date,value_num\nP1,718-7,2026-01-01,1\n")
    result = ingest_file(wh, path, "run1")
    assert result.status == "refused"
    assert result.message.startswith("required column 'code_system' is missing")


def test_timestamps_are_accepted_where_a_date_is_expected(wh, tmp_path):
    _write(
        tmp_path,
        "labs.csv",
        "patient_id,code_system,code,result_date,value_num,unit\n"
        "P1,LOINC,718-7,2026-10-01 08:15:00,120,g/L\nP1,LOINC,718-7,2026-10-02T08:15,121,g/L\n",
    )
    ingest_drop(wh, tmp_path, "run1")
    dates = [r[0].isoformat() for r in wh.execute("select result_date from raw_labs order by 1").fetchall()]
    assert dates == ["2026-10-01", "2026-10-02"]


def test_a_file_matching_no_kind_is_refused(wh, tmp_path):
    _write(tmp_path, "notes.csv", "a,b\n1,2\n")
    [result] = ingest_drop(wh, tmp_path, "run1")
    assert result.status == "refused"
    assert "matches no kind" in result.message


@pytest.mark.parametrize(
    ("header", "refused"),
    [
        pytest.param("patient_id,sex,site_id", True, id="neither-birth-column"),
        pytest.param("patient_id,sex,site_id,birth_year", False, id="birth-year-only"),
        pytest.param("patient_id,sex,site_id,birth_date", False, id="birth-date-only"),
    ],
)
def test_a_patients_file_needs_birth_date_or_birth_year(wh, tmp_path, header, refused):
    result = ingest_file(wh, _write(tmp_path, "patients.csv", header + "\n"), "run1")
    assert (result.status == "refused") == refused
    if refused:
        assert result.message == (
            "required column 'birth_date' or 'birth_year' is missing "
            "(a patients file needs patient_id, sex, site_id and birth_date or birth_year)"
        )
        assert _count(wh, "raw_patients") == 0


def test_a_folder_without_any_extract_file_is_refused_saying_what_it_holds(wh, tmp_path):
    for name in ("Patient.ndjson", "Observation.ndjson", "notes.txt", "labs.csv.zip"):
        _write(tmp_path, name, "{}\n")
    with pytest.raises(DropRefused) as refused:
        ingest_drop(wh, tmp_path, "run1")
    assert str(refused.value) == (
        f"{tmp_path}: holds no extract file of the contract, only 2 .ndjson files, 1 .txt file and "
        "1 .zip file (expected contract files named patients*, diagnoses*, labs* or medications* "
        "ending .csv, .csv.gz or .parquet; an OMOP or FHIR drop is read with --format omop or "
        "--format fhir)"
    )


def test_an_empty_folder_is_refused_until_something_was_loaded(wh, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DropRefused, match="the folder is empty and nothing was loaded before"):
        ingest_drop(wh, empty, "run1")
    _write(tmp_path, "patients.csv", PATIENTS)
    ingest_drop(wh, tmp_path, "run1")
    assert ingest_drop(wh, empty, "run2") == []  # a later night with no new file screens again
