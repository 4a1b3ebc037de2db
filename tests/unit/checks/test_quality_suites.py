"""The data-quality suites of expectations/, run for real (GX on small DuckDB tables).

One warehouse is built for the module: clean rows every check accepts, plus, for each
check, rows planted to break that check and no other. Each check must fire with exactly
its planted count and point at the planted row; a warehouse of clean rows only must pass
every check. Schema checks (columns, types) get a table of their own, altered.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines.checks import gate as quality
from pipelines.checks.suites import EXPECTATIONS_DIR, load_rules, load_suites
from pipelines.staging import build as staging
from pipelines.warehouse.connect import connect

AS_OF = date(2026, 11, 26)
RUN_ID = "test-run"

# Files the planted rows claim to come from (load_id -> file name).
FILES = {
    1: "patients.csv",
    2: "diagnoses.csv",
    3: "labs.csv",
    4: "medications.parquet",
    5: "procedures.csv",
    50: "labs_bad.csv",
}

CLEAN = {
    "raw_patients": [
        dict(patient_id="P1", sex="F", birth_date="1980-05-01", site_id="SITE_A", _load_id=1, _line=2),
        dict(patient_id="P2", sex="male", birth_year=1970, site_id="SITE_A", _load_id=1, _line=3),
    ],
    "raw_diagnoses": [
        dict(patient_id="P1", code_system="ICD-10-CM", code="m32.14", diagnosis_date="2024-01-01"),
        dict(patient_id="P1", code_system="SNOMED", code="55464009", diagnosis_date="2024-01-01"),
        dict(patient_id="P2", code_system="ICD9CM", code="710.0", diagnosis_date="2010-01-01"),
    ],
    "raw_labs": [
        dict(patient_id="P1", code_system="LOINC", code="718-7", result_date="2026-10-01", value_num=130,
             unit="g/L", ref_low=120, ref_high=160),
        dict(patient_id="P2", code_system="SCORE", code="SLEDAI2K", result_date="2026-10-01", value_num=8),
        dict(patient_id="P2", code_system="loinc", code="5196-1", result_date="2026-10-01",
             value_text="Negative"),
    ],
    "raw_medications": [
        dict(patient_id="P1", code_system="RXNORM", code="8640", start_date="2026-01-01", dose_value=20,
             dose_unit="mg", frequency="qd"),
        dict(patient_id="P1", code_system="ATC", code="L04AX03", start_date="2026-01-01",
             end_date="2026-06-01", frequency="QW"),
        dict(patient_id="P2", code_system="CVX", code="88", start_date="2025-10-01", frequency="ONCE"),
    ],
    "raw_procedures": [
        dict(patient_id="P1", code_system="ICD10PCS", code="0tb03zx", procedure_date="2026-06-01"),
        dict(patient_id="P1", code_system="CPT", code="50200", procedure_date="2026-06-01"),
        dict(patient_id="P2", code_system="HCPCS", code="Q2041", procedure_date="2025-01-01"),
        dict(patient_id="P2", code_system="SNOMED", code="70536003", procedure_date="2020-01-01"),
    ],
    "stg_patients": [
        dict(patient_id="P1", sex="F", birth_date="1980-05-01", birth_year=1980, site_id="SITE_A"),
        dict(patient_id="P2", sex="M", birth_year=1970, site_id="SITE_A", death_date="2026-01-01"),
    ],
    "stg_diagnoses": [
        dict(patient_id="P1", code_system="ICD10CM", code="M3214", diagnosis_date="2024-01-01"),
    ],
    "stg_labs": [
        dict(patient_id="P1", measure="hemoglobin", value=130, result_date="2026-10-01", unit_status="ok",
             ref_low=120, ref_high=160),
        dict(patient_id="P1", measure="ecog", value=1, result_date="2026-10-01", unit_status="ok"),
        dict(patient_id="P1", measure=None, value=None, result_date="2026-10-01", unit_status="unknown_code"),
    ],
    "stg_medications": [
        dict(patient_id="P1", ingredient="prednisone", start_date="2026-01-01", end_date="2026-02-01",
             dose_value=20, prednisone_equivalent_mg_computed=20),
    ],
    "stg_procedures": [
        dict(patient_id="P1", code_system="ICD10PCS", code="0TB03ZX", procedure_date="2026-06-01"),
    ],
}  # fmt: skip


def pat(**given) -> dict:
    """A raw or staged patients row: valid unless `given` says otherwise."""
    return {"patient_id": "P9", "sex": "F", "birth_year": 1990, "site_id": "S", **given}


def dx(**given) -> dict:
    return {
        "patient_id": "P1",
        "code_system": "ICD10CM",
        "code": "M3214",
        "diagnosis_date": "2024-01-01",
        **given,
    }


def lab(**given) -> dict:
    return {"patient_id": "P1", "code_system": "LOINC", "code": "718-7", "result_date": "2026-10-01",
            "value_num": 130, "unit": "g/L", **given}  # fmt: skip


def med(**given) -> dict:
    return {"patient_id": "P1", "code_system": "RXNORM", "code": "8640", "start_date": "2026-01-01", **given}


def px(**given) -> dict:
    """A raw or staged procedures row (patient P1, a kidney biopsy on 2026-06-01)."""
    return {
        "patient_id": "P1",
        "code_system": "CPT4",
        "code": "50200",
        "procedure_date": "2026-06-01",
        **given,
    }


def stg(**given) -> dict:
    """A stg_labs row (patient P1, dated 2026-10-01, unit ok)."""
    return {"value": 130, **given}


def rx(**given) -> dict:
    """A stg_medications row (patient P1, started 2026-03-01)."""
    return {"patient_id": "P1", "start_date": "2026-03-01", **given}


def case(table: str, check: str, rows: list[dict] | str, count: int = 1):
    return pytest.param(table, check, rows, count, id=f"{table}-{check}")


# (table, check, rows breaking that check and no other, offending rows expected)
PLANTED = [
    case("raw_diagnoses", "icd10cm_code_format", [dx(code="32.14")]),
    case("raw_diagnoses", "icd9cm_code_format", [dx(code_system="ICD9CM", code="ABC")]),
    case("raw_diagnoses", "snomedct_code_format", [dx(code_system="SNOMEDCT", code="0123")]),
    case("raw_labs", "loinc_code_format", [lab(code="7187")]),
    case("raw_medications", "rxnorm_code_format", [med(code="PRED5")]),
    case("raw_medications", "atc_code_format", [med(code_system="ATC", code="4AX03")]),
    case("raw_medications", "cvx_code_format", [med(code_system="CVX", code="X1")]),
    case("raw_medications", "frequency_is_contract_value", [med(frequency="thrice weekly")]),
    case("stg_patients", "sex_is_normalised", [pat(patient_id="P20", sex="X")]),
    case("stg_patients", "birth_date_not_after_as_of",
         [pat(patient_id="P21", birth_date="2026-12-01", birth_year=2026)]),
    case("stg_patients", "birth_year_plausible", [pat(patient_id="P22", birth_year=1850)]),
    case("stg_patients", "death_not_before_birth",
         [pat(patient_id="P23", birth_date="1980-05-01", birth_year=1980, death_date="1980-01-01")]),
    case("stg_patients", "death_year_not_before_birth_year",
         [pat(patient_id="P24", birth_year=1980, death_date="1979-06-01")]),
    case("stg_diagnoses", "diagnosis_date_not_after_as_of", [dx(code="M3214", diagnosis_date="2026-12-01")]),
    case("stg_labs", "hemoglobin_in_plausible_range", [stg(measure="hemoglobin", value=9000)]),
    case("stg_labs", "platelets_in_plausible_range", [stg(measure="platelets", value=5000)]),
    case("stg_labs", "egfr_in_plausible_range", [stg(measure="egfr", value=500)]),
    case("stg_labs", "alt_in_plausible_range", [stg(measure="alt", value=30000)]),
    case("stg_labs", "ast_in_plausible_range", [stg(measure="ast", value=30000)]),
    case("stg_labs", "bilirubin_total_in_plausible_range", [stg(measure="bilirubin_total", value=2000)]),
    case("stg_labs", "lvef_in_plausible_range", [stg(measure="lvef", value=120)]),
    case("stg_labs", "dlco_pct_predicted_in_plausible_range", [stg(measure="dlco_pct_predicted", value=300)]),
    case("stg_labs", "fvc_pct_predicted_in_plausible_range", [stg(measure="fvc_pct_predicted", value=300)]),
    case("stg_labs", "ecog_in_scale", [stg(measure="ecog", value=7)]),
    case("stg_labs", "sledai2k_in_scale", [stg(measure="sledai2k", value=200)]),
    case("stg_labs", "essdai_in_scale", [stg(measure="essdai", value=200)]),
    case("stg_labs", "mrss_in_scale", [stg(measure="mrss", value=60)]),
    case("stg_labs", "bvas_in_scale", [stg(measure="bvas", value=70)]),
    case("stg_labs", "upcr_in_plausible_range", [stg(measure="upcr", value=800)]),
    case("stg_labs", "c3_in_plausible_range", [stg(measure="c3", value=110)]),
    case("stg_labs", "c4_in_plausible_range", [stg(measure="c4", value=25)]),
    case("stg_labs", "body_weight_in_plausible_range", [stg(measure="body_weight", value=70000)]),
    case("stg_labs", "value_not_negative", [stg(measure="anca_titer", value=-1)]),
    case("stg_labs", "measure_has_plausible_range", [stg(measure="sodium", value=140)]),
    case("stg_labs", "unit_known_for_code", [stg(measure="egfr", value=None, unit_status="unknown_unit")]),
    case("stg_labs", "unit_present", [stg(measure="hemoglobin", value=None, unit_status="missing_unit")]),
    case("stg_labs", "result_date_not_after_as_of", [stg(measure="hemoglobin", result_date="2026-12-01")]),
    case("stg_labs", "reference_range_ordered", [stg(measure="hemoglobin", ref_low=160, ref_high=120)]),
    case("stg_medications", "start_date_not_after_as_of", [rx(start_date="2026-12-01")]),
    case("stg_medications", "end_date_not_before_start_date",
         [rx(end_date="2026-02-01")]),
    case("stg_medications", "dose_value_positive", [rx(dose_value=0)]),
    case("stg_medications", "prednisone_equivalent_plausible",
         [rx(dose_value=5000, prednisone_equivalent_mg_computed=5000)]),
    # cross-table rules
    case("stg_labs", "orphan_labs", [stg(measure="hemoglobin", patient_id="P99")]),
    case("stg_diagnoses", "orphan_diagnoses", [dx(patient_id="P99")]),
    case("stg_medications", "orphan_medications", [rx(patient_id="P99")]),
    case("raw_procedures", "icd10pcs_code_format", [px(code_system="ICD10PCS", code="0TB03Z")]),
    case("raw_procedures", "cpt4_code_format", [px(code="5020")]),
    case("raw_procedures", "hcpcs_code_format", [px(code_system="HCPCS", code="24100")]),
    case("raw_procedures", "snomedct_code_format", [px(code_system="SNOMEDCT", code="0123456")]),
    case("stg_procedures", "procedure_date_not_after_as_of", [px(procedure_date="2026-12-01")]),
    case("stg_procedures", "orphan_procedures", [px(patient_id="P99")]),
    case("raw_patients", "patient_conflicting_demographics", [
        pat(patient_id="P30", sex="F", birth_date="1980-05-01"),
        pat(patient_id="P30", sex="M", birth_date="1980-05-01"),
        pat(patient_id="P31", sex="F", birth_date="1980-05-01"),
        pat(patient_id="P31", sex="U", birth_date=None, birth_year=1980),  # agrees: U conflicts with nothing
    ]),
    case("quarantine", "required_column_empty", "planted by _plant_quarantine", 2),
]  # fmt: skip

# Checks that see the table's shape: each is fired by altering one column.
SCHEMA = [
    pytest.param(table, "contract_columns_present", f"alter table {table} drop column {column}", id=table)
    for table, column in (
        ("raw_patients", "site_id"),
        ("raw_diagnoses", "source"),
        ("raw_labs", "ref_high"),
        ("raw_medications", "route"),
        ("raw_procedures", "procedure_date"),
    )
]  # fmt: skip


def _insert(
    con: duckdb.DuckDBPyConnection, table: str, rows: list[dict], load_id: int, first_line: int
) -> None:
    for offset, row in enumerate(rows):
        row = {"_load_id": load_id, "_line": first_line + offset, **row}
        if table.startswith("stg_") and "measure" in row:
            row = {"patient_id": "P1", "result_date": "2026-10-01", "unit_status": "ok", **row}
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        con.execute(
            f"insert into {table} by name select * from (values ({marks})) v({columns})", list(row.values())
        )


def _unconstrained_warehouse() -> duckdb.DuckDBPyConnection:
    """Warehouse tables without NOT NULL (ingest guarantees those; the checks must not rely on it)."""
    con = connect(":memory:")
    staging.build_staging(con)  # empty stg_* tables with their real columns
    for table in CLEAN:
        con.execute(f"create or replace table {table} as select * from {table} limit 0")
    con.execute("create or replace table quarantine as select * from quarantine limit 0")
    for load_id, name in FILES.items():
        kind = name.split("_")[0].split(".")[0]
        con.execute(
            "insert into load_ledger (load_id, run_id, file_name, kind, sha256, status, rows_read, "
            "rows_loaded, rows_quarantined, loaded_at) values (?, ?, ?, ?, 'x', 'loaded', 0, ?, 0, now())",
            [load_id, RUN_ID, name, kind, 0 if load_id == 50 else 1],
        )
    return con


def _load_of(table: str) -> int:
    return {"patients": 1, "diagnoses": 2, "labs": 3, "medications": 4, "procedures": 5}[
        table.split("_", 1)[1]
    ]


def _plant_clean(con: duckdb.DuckDBPyConnection) -> None:
    for table, rows in CLEAN.items():
        _insert(con, table, rows, _load_of(table), 2)


def _plant_quarantine(con: duckdb.DuckDBPyConnection) -> None:
    """labs_bad.csv (nothing loaded): code empty in both records, flagged; labs.csv (rows
    loaded): a record with an empty code is an ordinary quarantined row, not flagged."""
    records = [
        (
            50,
            "labs_bad.csv",
            2,
            {"patient_id": "P1", "code_system": "LOINC", "code": "", "result_date": "2026-10-01"},
        ),
        (
            50,
            "labs_bad.csv",
            3,
            {"patient_id": "P2", "code_system": "LOINC", "code": " ", "result_date": "2026-10-01"},
        ),
        (
            3,
            "labs.csv",
            40,
            {"patient_id": "P2", "code_system": "LOINC", "code": "", "result_date": "2026-10-01"},
        ),
    ]
    for load_id, name, line, raw in records:
        con.execute(
            "insert into quarantine values (?, ?, 'labs', ?, 'code', 'code is missing (required)', ?)",
            [load_id, name, line, json.dumps(raw)],
        )


def _faulty_warehouse() -> duckdb.DuckDBPyConnection:
    con = _unconstrained_warehouse()
    _plant_clean(con)
    for index, param in enumerate(PLANTED):
        table, _check, rows, _count = param.values
        if table == "quarantine":
            _plant_quarantine(con)
        else:
            _insert(con, table, rows, _load_of(table), 100 + 10 * index)
    return con


def _run(con: duckdb.DuckDBPyConnection, work: Path, batch_rows: int = 1000) -> dict[tuple[str, str], dict]:
    results = []
    for stage in ("raw", "staging"):
        results += quality.run_suites(con, stage, AS_OF, RUN_ID, work, batch_rows=batch_rows)
    return {(r["table"], r["check"]): r for r in results}


@pytest.fixture(scope="module")
def faulty(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[dict, Path, duckdb.DuckDBPyConnection]]:
    """The results of every suite on the faulty warehouse."""
    con = _faulty_warehouse()
    work = tmp_path_factory.mktemp("dq")
    yield _run(con, work), work, con
    con.close()


@pytest.mark.parametrize(("table", "check", "rows", "count"), PLANTED)
def test_check_fires_on_its_planted_rows_only(faulty, table: str, check: str, rows, count: int) -> None:
    results, _work, _con = faulty
    result = results[(table, check)]
    assert (result["status"], result["unexpected_count"]) == ("failed", count), result
    assert result["detail"].startswith(f"{count} of ") or result["detail"].startswith(f"{count} rows")


def test_a_failed_check_names_the_file_and_line_of_its_first_offending_row(faulty) -> None:
    results, _work, _con = faulty
    index = [p.values[1] for p in PLANTED].index("hemoglobin_in_plausible_range")
    hb = results[("stg_labs", "hemoglobin_in_plausible_range")]
    assert hb["first_location"] == f"labs.csv line {100 + 10 * index}"
    assert (
        results[("quarantine", "required_column_empty")]["first_location"]
        == "labs_bad.csv line 2, column code"
    )


def test_the_failure_message_is_one_line_naming_table_check_and_counts(faulty) -> None:
    results, _work, _con = faulty
    message = quality.failure_message(list(results.values()))
    first = next(r for r in results.values() if r["status"] == "failed" and r["severity"] == "error")
    assert "\n" not in message
    assert message.startswith(f"table {first['table']}: check {first['check']} failed: {first['detail']}; ")
    assert "more error check(s) failed" in message


def test_clean_rows_pass_every_check(tmp_path: Path) -> None:
    con = _unconstrained_warehouse()
    _plant_clean(con)
    results = _run(con, tmp_path)
    failed = {key: r["detail"] for key, r in results.items() if r["status"] != "passed"}
    assert failed == {}
    assert quality.outcome(list(results.values()))["status"] == "passed"


def test_every_check_of_expectations_has_a_planted_test() -> None:
    declared = {
        (c.table, c.name) for stage in ("raw", "staging") for s in load_suites(stage) for c in s.checks
    }
    declared |= {(r.table, r.name) for stage in ("raw", "staging") for r in load_rules(stage)}
    tested = {(p.values[0], p.values[1]) for p in PLANTED + SCHEMA}
    assert declared == tested


def test_every_check_is_in_the_catalogue_under_its_table() -> None:
    readme = (EXPECTATIONS_DIR / "README.md").read_text(encoding="utf-8")
    sections = {part.split("\n", 1)[0].split(" ")[0]: part for part in readme.split("\n### ")[1:]}
    for stage in ("raw", "staging"):
        for suite in load_suites(stage):
            for check in suite.checks:
                assert f"| `{check.name}` |" in sections[suite.table], (suite.table, check.name)
        for rule in load_rules(stage):
            assert f"| `{rule.name}` | {rule.table} |" in sections["Cross-table"], rule.name


@pytest.mark.parametrize(("table", "check", "alter"), SCHEMA)
def test_schema_check_fires_when_the_table_changes_shape(
    tmp_path: Path, table: str, check: str, alter: str
) -> None:
    con = _unconstrained_warehouse()
    _plant_clean(con)
    con.execute(alter)
    suite = next(s for s in load_suites("raw") if s.table == table)
    results = quality.validate_suite(con, suite, AS_OF, RUN_ID, tmp_path)
    result = next(r for r in results if r["check"] == check)
    assert result["status"] == "failed"
    assert result["detail"]


def test_results_are_recorded_one_row_per_check_and_summarised(faulty) -> None:
    results, _work, con = faulty
    quality.record_results(con, RUN_ID, list(results.values()))
    summary = quality.data_quality_summary(con, RUN_ID)
    assert len(summary) == len(results)
    hb = next(s for s in summary if s["check_name"] == "hemoglobin_in_plausible_range")
    assert (hb["severity"], hb["status"], hb["unexpected_count"]) == ("error", "failed", 1)


def test_data_docs_show_every_suite_with_the_failed_checks(faulty) -> None:
    """Validation pages show each expectation with its counts and unexpected values; the
    suite pages name each check with its severity, source and what happens on failure."""
    _results, work, _con = faulty
    docs = work / "data_docs"
    index = (docs / "index.html").read_text(encoding="utf-8")
    for table in ("raw_labs", "stg_labs", "cross_table"):
        assert table in index
    validations = "".join(p.read_text(encoding="utf-8") for p in (docs / "validations").rglob("*.html"))
    assert "9000.0" in validations  # the planted haemoglobin
    assert "required_column_empty: expectations/cross_table/required_column_empty.sql" in validations
    suite = (docs / "expectations" / "stg_labs.html").read_text(encoding="utf-8")
    assert "hemoglobin_in_plausible_range" in suite
    assert "severity warning" in suite
    assert "Stops the run when more than 5 % of the rows it checks fail" in suite
