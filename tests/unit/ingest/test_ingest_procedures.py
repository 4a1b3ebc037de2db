"""Procedures (extract contract version 2, optional): loaded and checked like any kind,
bad rows quarantined with line, column and reason; a drop without them is unchanged."""

from pathlib import Path

import pytest

from pipelines.ingest.load import ingest_drop

PROCEDURES = (
    "patient_id,code_system,code,procedure_date\n"
    "P1,CPT4,50200,2026-09-01\n"
    "P1,ICD-10-PCS,0TB13ZX,2026-09-01 10:30\n"
    "P2,OPCS4,M13.1,2026-09-01\n"
    "P2,SNOMEDCT,,2026-09-01\n"
    "P2,HCPCS,Q2041,2026-02-30\n"
    ",CPT4,50200,2026-09-01\n"
)


def test_procedures_load_and_bad_rows_are_quarantined_with_reasons(wh, tmp_path: Path) -> None:
    (tmp_path / "procedures_2026-11.csv").write_text(PROCEDURES, encoding="utf-8")
    [result] = ingest_drop(wh, tmp_path, "run1")
    assert (result.kind, result.status) == ("procedures", "loaded")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (6, 2, 4)
    assert wh.execute(
        "select code, procedure_date::varchar, _line from raw_procedures order by _line"
    ).fetchall() == [
        ("50200", "2026-09-01", 2),
        ("0TB13ZX", "2026-09-01", 3),
    ]
    assert wh.execute("select line, column_name, reason from quarantine order by line").fetchall() == [
        (
            4,
            "code_system",
            "code_system 'OPCS4' is not a known code system (expected SNOMEDCT, ICD10PCS, CPT4 or HCPCS)",
        ),
        (5, "code", "code is missing (required)"),
        (6, "procedure_date", "procedure_date '2026-02-30' is not a date (expected YYYY-MM-DD)"),
        (7, "patient_id", "patient_id is missing (required)"),
    ]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        pytest.param(
            "patient_id,code_system,code\n",
            "required column 'procedure_date' is missing (a procedures file needs patient_id, code_system, "
            "code, procedure_date)",
            id="no-procedure-date",
        ),
        pytest.param(
            "patient_id,code_system,code,procedure_date,patient_name\n",
            "header column 5 names a direct identifier (name); the file is refused whole and nothing of it "
            "is stored (remove the column and deliver again)",
            id="names-a-person",
        ),
    ],
)
def test_a_procedures_file_is_refused_on_its_header_like_any_kind(wh, tmp_path, header, message) -> None:
    (tmp_path / "procedures.csv").write_text(header, encoding="utf-8")
    [result] = ingest_drop(wh, tmp_path, "run1")
    assert (result.status, result.message) == ("refused", message)
    assert wh.execute("select count(*) from raw_procedures").fetchone() == (0,)
