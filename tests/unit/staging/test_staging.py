"""Staging keeps one row per natural key, the latest delivered, whatever the spelling.

The staging queries look for duplicates only among rows whose hash of part of the key is
seen twice and normalise each distinct spelling once (sql/staging/*.sql); these tests
compare what they keep with the plain definition (a window over every row, codes
normalised row by row) on raw rows full of re-deliveries in other spellings.
"""

from __future__ import annotations

import random

import duckdb
import pytest

from pipelines.staging import build as staging

# Spellings that normalise to the same code system and code.
LAB_SYSTEMS = ("LOINC", "loinc", " Loinc ")
LAB_CODES = ("718-7", " 718-7", "2160-0", "2160-0 ", "33914-3", "99999-9")
DX_SYSTEMS = ("ICD10CM", "icd-10-cm", "ICD10", "SNOMED", "SNOMEDCT")
DX_CODES = ("M32.14", "m3214", "M32.14 ", "N18.6", "n18.6", "123")
MED_SYSTEMS = ("RXNORM", "RxNorm CUI", "ATC", "CVX")
MED_CODES = ("5492", " 5492", "H02AB07", "h02ab07", "3", "03", "121")

# Which raw rows (load, line) the plain definition keeps: the latest of each natural key.
DEFINITION = {
    "stg_labs": """
        select _load_id, _line from raw_labs
        where _load_id not in (select load_id from stg_retired_loads)
        qualify row_number() over (
            partition by patient_id, norm_code_system(code_system), upper(trim(code)),
                result_date, value_num, value_text, unit
            order by _load_id desc, _line desc) = 1""",
    "stg_diagnoses": """
        select _load_id, _line from raw_diagnoses
        where _load_id not in (select load_id from stg_retired_loads)
        qualify row_number() over (
            partition by patient_id, norm_code_system(code_system),
                norm_code(code_system, code), diagnosis_date
            order by _load_id desc, _line desc) = 1""",
    "stg_medications": """
        select _load_id, _line from raw_medications
        where _load_id not in (select load_id from stg_retired_loads)
        qualify row_number() over (
            partition by patient_id, norm_code_system(code_system),
                norm_code(code_system, code), start_date, end_date, dose_value,
                dose_unit, frequency
            order by _load_id desc, _line desc) = 1""",
}


def _fill(con: duckdb.DuckDBPyConnection, seed: int, rows: int = 1500) -> None:
    """Raw rows of 5 patients over 3 days in 4 loads: most keys are delivered several times."""
    pick = random.Random(seed).choice
    labs, diagnoses, medications = [], [], []
    for line in range(rows):
        load, patient, day = pick((1, 2, 3, 4)), pick("ABCDE"), pick(("2026-01-01", "2026-01-02"))
        labs.append(
            (patient, pick(LAB_SYSTEMS), pick(LAB_CODES), day, pick((None, 1.0, 2.5, -0.0, 0.0)),
             pick((None, None, "<5", "negative", " > 90")), pick((None, "g/dL", "g/dl", "mg/dL", " ")),
             pick((None, 1.0)), pick((None, 9.5)), load, line)
        )  # fmt: skip
        diagnoses.append((patient, pick(DX_SYSTEMS), pick(DX_CODES), day, None, load, line))
        medications.append(
            (patient, pick(MED_SYSTEMS), pick(MED_CODES), pick((None, "prednisone 5 MG Oral Tablet")),
             day, pick((None, "2026-02-01")), pick((None, 5.0, 1.0)), pick((None, "mg", "mg/kg", "g")),
             pick((None, "QD", "bid ")), pick((None, "oral", " IV")), load, line)
        )  # fmt: skip
    con.executemany("insert into raw_labs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", labs)
    con.executemany("insert into raw_diagnoses values (?, ?, ?, ?, ?, ?, ?)", diagnoses)
    con.executemany("insert into raw_medications values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", medications)


def test_each_natural_key_keeps_its_latest_delivered_row_whatever_the_spelling(wh) -> None:
    for seed in (1, 2, 3):
        for table in ("raw_labs", "raw_diagnoses", "raw_medications"):
            wh.execute(f"delete from {table}")
        _fill(wh, seed)
        staging.build_staging(wh)
        for table, definition in DEFINITION.items():
            kept = wh.execute(f"select _load_id, _line from {table} order by all").fetchall()
            expected = wh.execute(f"select * from ({definition}) order by all").fetchall()
            assert kept == expected, (seed, table)
            assert len(expected) < 1500  # the rows held duplicates


def test_rows_of_a_retired_load_are_left_out_and_never_win(wh) -> None:
    _fill(wh, 4)
    wh.execute(
        "insert into load_ledger (load_id, run_id, file_name, kind, sha256, status, loaded_at) values "
        "(4, 'r1', 'labs-old.csv', 'labs', 'a', 'loaded', now()), "
        "(5, 'r2', 'labs-full.csv', 'labs', 'b', 'loaded', now())"
    )
    wh.execute("insert into full_refreshes values ('r2', now())")
    staging.build_staging(wh)
    assert wh.execute("select load_id from stg_retired_loads").fetchall() == [(4,)]
    assert wh.execute("select count(*) from stg_labs where _load_id = 4").fetchone()[0] == 0
    kept = wh.execute("select _load_id, _line from stg_labs order by all").fetchall()
    assert kept == wh.execute(f"select * from ({DEFINITION['stg_labs']}) order by all").fetchall()


def test_building_staging_leaves_the_connection_optimizer_settings_as_they_were(wh) -> None:
    before = wh.execute("select current_setting('disabled_optimizers')").fetchone()[0]
    staging.build_staging(wh)
    assert wh.execute("select current_setting('disabled_optimizers')").fetchone()[0] == before


@pytest.mark.parametrize(
    ("dose", "unit", "usable", "implausible"),
    [
        pytest.param(20.0, "mg", 20.0, False, id="usual-dose"),
        pytest.param(2000.0, "mg", 2000.0, False, id="at-the-suite-limit"),
        pytest.param(5.0, "g", None, True, id="grams-5000-mg-a-unit-error"),
        pytest.param(None, "mg", None, False, id="no-dose-is-not-implausible"),
    ],
)
def test_an_implausible_glucocorticoid_dose_is_flagged_and_never_read(
    wh, dose, unit, usable, implausible
) -> None:
    """The range of the stg_medications suite's prednisone_equivalent_plausible check flags
    the order; criteria read prednisone_equivalent_mg, NULL for it; the check reads the
    computed value, so it still counts the row."""
    wh.execute(
        "insert into raw_medications values ('P1', 'RXNORM', '8640', null, '2026-01-01', null, ?, ?, "
        "'QD', 'oral', 1, 2)",
        [dose, unit],
    )
    staging.build_staging(wh)
    row = wh.execute(
        "select prednisone_equivalent_mg, prednisone_equivalent_mg_computed, dose_implausible "
        "from stg_medications"
    ).fetchone()
    assert row[0] == usable
    assert row[2] is implausible
    if implausible:
        assert row[1] == 5000.0


@pytest.mark.parametrize(
    ("value_num", "value_text", "unit", "expected"),
    [
        pytest.param(None, "Not detected", "g/dL", (None, 95.0), id="text-result-shows-no-unit"),
        pytest.param(None, "negative", None, (None, None), id="text-result-without-unit"),
        pytest.param(12.5, None, "g/dL", ("g/dL", 95.0), id="number-keeps-its-unit"),
        pytest.param(None, "<5", "g/dL", ("g/dL", 95.0), id="comparator-number-keeps-its-unit"),
    ],
)
def test_unit_reported_qualifies_a_number_only(
    wh, value_num: float | None, value_text: str | None, unit: str | None, expected: tuple
) -> None:
    """A unit delivered with a result that has no number ('Not detected' IU/mL: FHIR's
    valueString carries none) is not shown as the result's unit; it still converts the
    reference range, which is in the row's unit."""
    wh.execute(
        "insert into raw_labs values ('A', 'LOINC', '718-7', '2026-01-01', ?, ?, ?, null, 9.5, 1, 1)",
        [value_num, value_text, unit],
    )
    staging.build_staging(wh)
    # expected: unit_reported, and ref_high in the canonical unit (g/L)
    assert wh.execute("select unit_reported, ref_high from stg_labs").fetchone() == expected
