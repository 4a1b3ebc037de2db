"""A delta re-stages only the patients of its new loads and gives what a full build gives.

Each case stages a base delivery in full, records that a gate passed, adds a night's
rows, stages the delta, and compares every stg_* table (every column, load ids and lines
included: both builds read the same raw rows) with a full build of the same raw rows.
"""

from __future__ import annotations

import random

import duckdb
import pytest

from pipelines.staging import build as staging
from pipelines.staging import incremental

COLUMNS = {
    "raw_patients": 8,
    "raw_diagnoses": 7,
    "raw_labs": 11,
    "raw_medications": 12,
    "raw_procedures": 6,
}
BASE = {
    "raw_patients": [
        ("A", "F", "1970-01-01", None, "S1", None, 1, 2),
        ("B", "M", "1980-02-02", None, "S1", None, 1, 3),
        ("C", "F", "1990-03-03", None, "S2", None, 1, 4),
    ],
    "raw_labs": [
        ("A", "LOINC", "718-7", "2026-01-01", 12.0, None, "g/dL", 12.0, 16.0, 2, 2),
        ("B", "LOINC", "2160-0", "2026-01-02", 1.1, None, "mg/dL", None, None, 2, 3),
        ("C", "LOINC", "718-7", "2026-01-03", None, "<5", "g/dL", None, None, 2, 4),
    ],
    "raw_diagnoses": [
        ("A", "ICD10CM", "M32.14", "2025-01-01", "clinic", 3, 2),
        ("C", "ICD10CM", "N18.6", "2025-02-01", "clinic", 3, 3),
    ],
    "raw_medications": [
        (
            "A",
            "RXNORM",
            "5492",
            "prednisone 5 MG Oral Tablet",
            "2025-06-01",
            None,
            2.0,
            "tablet",
            "QD",
            "oral",
            4,
            2,
        ),
    ],
    "raw_procedures": [("B", "CPT", "38241", "2024-05-05", 5, 2)],
}
LEDGER = [
    (1, "patients.csv", "patients"),
    (2, "labs.csv", "labs"),
    (3, "diagnoses.csv", "diagnoses"),
    (4, "medications.csv", "medications"),
    (5, "procedures.csv", "procedures"),
]
NIGHT = 6  # the delta's first load id


def _insert(con: duckdb.DuckDBPyConnection, rows: dict[str, list[tuple]]) -> None:
    for table, values in rows.items():
        if not values:
            continue
        marks = ", ".join("?" * COLUMNS[table])
        con.executemany(f"insert into {table} values ({marks})", values)


def _ledger(con: duckdb.DuckDBPyConnection, loads: list[tuple[int, str, str]], run_id: str) -> None:
    con.executemany(
        "insert into load_ledger (load_id, run_id, file_name, kind, sha256, status, loaded_at) "
        "values (?, ?, ?, ?, ?, 'loaded', now())",
        [(load_id, run_id, name, kind, f"sha-{load_id}") for load_id, name, kind in loads],
    )


def _staged(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    return {t: con.execute(f"select * from {t} order by all").fetchall() for t in staging.STAGED_DATA_TABLES}


def _stage_planned(con: duckdb.DuckDBPyConnection, run_id: str) -> incremental.StagingPlan:
    plan = incremental.plan_staging(con, tables=staging.STAGING_ORDER)
    staging.build_staging(con, plan, run_id)
    return plan


def _base_night(con: duckdb.DuckDBPyConnection, extra: dict[str, list[tuple]] | None = None) -> None:
    """The base delivery (with `extra` rows) staged in full under run r1, its gate passed."""
    _ledger(con, LEDGER, "r1")
    _insert(con, BASE)
    _insert(con, extra or {})
    assert not _stage_planned(con, "r1").is_delta
    incremental.mark_validated(con, "r1")


@pytest.mark.parametrize(
    ("night", "touched"),
    [
        pytest.param(
            {
                # same natural keys as A's rows, delivered later: the later rows win
                "raw_labs": [("A", "LOINC", "718-7", "2026-01-01", 12.0, None, "g/dL", 11.5, 15.5, NIGHT, 2)],
                "raw_diagnoses": [("A", "icd10cm", "m32.14 ", "2025-01-01", "hospital", NIGHT, 3)],
                "raw_medications": [
                    (
                        "A",
                        "RXNORM",
                        "5492",
                        "prednisone 5 MG Oral Tablet",
                        "2025-06-01",
                        None,
                        2.0,
                        "tablet",
                        "QD",
                        "IV",
                        NIGHT,
                        4,
                    ),
                ],
            },
            ["A"],
            id="later_delivery_supersedes_earlier_rows_of_the_same_natural_key",
        ),
        pytest.param(
            {
                "raw_patients": [("D", "M", "2001-04-04", None, "S2", None, NIGHT, 2)],
                "raw_labs": [
                    ("D", "LOINC", "2160-0", "2026-01-05", 0.9, None, "mg/dL", None, None, NIGHT, 3)
                ],
            },
            ["D"],
            id="new_patient_is_staged",
        ),
        pytest.param(
            {"raw_patients": [("B", "M", "1981-02-02", None, "S1", None, NIGHT, 2)]},
            ["B"],
            id="changed_birth_date_replaces_the_patients_row",
        ),
        pytest.param(
            {"raw_labs": [("E", "LOINC", "718-7", "2026-01-06", 13.0, None, "g/dL", None, None, NIGHT, 2)]},
            ["E"],
            id="rows_of_a_patient_with_no_patients_row_are_staged",
        ),
        pytest.param(
            {
                "raw_patients": [("C", "F", "1990-03-03", None, "S3", "2026-02-01", NIGHT, 2)],
                "raw_procedures": [("C", "cpt-4", "38241", "2024-05-05", NIGHT, 3)],
                "raw_labs": [("B", "LOINC", "2160-0", "2026-01-02", 1.1, None, "mg/dL", 0.6, 1.3, NIGHT, 4)],
            },
            ["B", "C"],
            id="two_patients_across_every_kind",
        ),
    ],
)
def test_a_delta_stages_the_same_tables_as_a_full_build(wh, night, touched) -> None:
    _base_night(wh)
    before_c = wh.execute("select * from stg_labs where patient_id not in (select unnest(?))", [touched])
    untouched = before_c.fetchall()
    _ledger(wh, [(NIGHT, "night.csv", "labs")], "r2")
    _insert(wh, night)
    plan = _stage_planned(wh, "r2")
    assert (plan.mode, plan.since_load_id) == ("delta", 5)
    assert [r[0] for r in wh.execute("select patient_id from staging_delta order by 1").fetchall()] == touched
    delta = _staged(wh)
    # other patients' rows were not staged again: the very rows are still there
    assert (
        wh.execute("select * from stg_labs where patient_id not in (select unnest(?))", [touched]).fetchall()
        == untouched
    )
    staging.build_staging(wh)  # a full build of the same raw rows
    assert delta == _staged(wh)


def _move_aside(con: duckdb.DuckDBPyConnection, load_id: int) -> dict[str, list[tuple]]:
    """Take the rows of one load out of the raw tables; return them."""
    rows = {}
    for table in COLUMNS:
        rows[table] = con.execute(f"select * from {table} where _load_id = ?", [load_id]).fetchall()
        con.execute(f"delete from {table} where _load_id = ?", [load_id])
    return rows


@pytest.mark.parametrize("seed", [pytest.param(s, id=f"seed_{s}") for s in (1, 2)])
def test_a_delta_of_redeliveries_in_other_spellings_equals_a_full_build(wh, seed) -> None:
    from tests.unit.staging.test_staging import _fill

    _fill(wh, seed, rows=400)
    pick = random.Random(seed).choice
    wh.executemany(
        "insert into raw_patients values (?, ?, '1980-01-01', null, 'S1', null, ?, ?)",
        [(p, pick("FMU"), pick((1, 2, 3, 4)), n) for n, p in enumerate("ABCDEF")],
    )
    night = _move_aside(wh, 4)
    _ledger(wh, [(n, f"f{n}.csv", "labs") for n in (1, 2, 3)], "r1")
    _stage_planned(wh, "r1")
    incremental.mark_validated(wh, "r1")
    _ledger(wh, [(4, "f4.csv", "labs")], "r2")
    _insert(wh, night)
    assert _stage_planned(wh, "r2").is_delta
    delta = _staged(wh)
    staging.build_staging(wh)
    assert delta == _staged(wh)


def test_a_delta_the_gate_stopped_is_staged_again_with_the_next_one(wh) -> None:
    _base_night(wh)
    _ledger(wh, [(NIGHT, "night1.csv", "patients")], "r2")
    _insert(wh, {"raw_patients": [("D", "M", "2001-04-04", None, "S2", None, NIGHT, 2)]})
    _stage_planned(wh, "r2")  # no mark_validated: its gate failed
    _ledger(wh, [(NIGHT + 1, "night2.csv", "patients")], "r3")
    _insert(wh, {"raw_patients": [("E", "F", "2002-05-05", None, "S2", None, NIGHT + 1, 2)]})
    plan = _stage_planned(wh, "r3")
    assert (plan.mode, plan.since_load_id) == ("delta", 5)
    assert wh.execute("select patient_id from staging_delta order by 1").fetchall() == [("D",), ("E",)]
    incremental.mark_validated(wh, "r3")
    assert wh.execute("select validated_through from staging_state").fetchall() == [(NIGHT + 1,)]


def _code_changed(monkeypatch) -> None:
    monkeypatch.setattr(incremental, "staging_code_fingerprint", lambda: "another")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        pytest.param(lambda con, mp: None, None, id="only_new_loads_stage_a_delta"),
        pytest.param(lambda con, mp: incremental.plan_staging(con, full=True), "--full", id="full_asked_for"),
        pytest.param(
            lambda con, mp: _code_changed(mp), "staging code", id="staging_code_or_reference_data_changed"
        ),
        pytest.param(
            lambda con, mp: con.execute("insert into full_refreshes values ('r2', now())"),
            "full refresh",
            id="full_refresh_declared",
        ),
        pytest.param(
            lambda con, mp: con.execute("update staging_state set validated_through = null"),
            "no data-quality gate passed",
            id="last_full_build_never_passed_the_gate",
        ),
        pytest.param(
            lambda con, mp: con.execute("delete from staging_state"), "no earlier staging", id="first_scan"
        ),
        pytest.param(lambda con, mp: con.execute("drop table stg_labs"), "missing", id="staged_table_gone"),
        pytest.param(
            lambda con, mp: staging.build_staging(con), "no earlier staging", id="built_outside_a_plan"
        ),
    ],
)
def test_anything_but_new_loads_stages_in_full(wh, monkeypatch, change, reason) -> None:
    _base_night(wh)
    change(wh, monkeypatch)
    full = reason == "--full"
    plan = incremental.plan_staging(wh, full=full, tables=staging.STAGING_ORDER)
    if reason is None:
        assert (plan.mode, plan.since_load_id) == ("delta", 5)
    else:
        assert plan.mode == "full" and reason in plan.reason and plan.since_load_id is None


def test_a_full_build_records_no_touched_patients_and_no_validated_load(wh) -> None:
    _base_night(wh)
    _ledger(wh, [(NIGHT, "night.csv", "patients")], "r2")
    _insert(wh, {"raw_patients": [("D", "M", "2001-04-04", None, "S2", None, NIGHT, 2)]})
    _stage_planned(wh, "r2")
    plan = incremental.plan_staging(wh, full=True)
    staging.build_staging(wh, plan, "r3")
    assert wh.execute("select count(*) from staging_delta").fetchone() == (0,)
    assert wh.execute(
        "select run_id, mode, staged_through, validated_through from staging_state"
    ).fetchall() == [("r3", "full", NIGHT, None)]
