"""The FHIR R4 reader: bulk ndjson and Bundles into the contract's raw tables.

The fixture drop (tests/fixtures/fhir/drop) holds a transaction Bundle, ndjson files of
Patient, Observation, Medication and MedicationStatement, and a README that is not data.
It carries bad resources on purpose: a Condition with no subject, a Condition coded only
in a local system, an impossible date, a partial date, a subject that is a Group, a
valueRatio, a cut-off line, a not-taken statement and a deceasedBoolean without a date.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest import contract, fhir, forms

DROP = Path(__file__).resolve().parents[2] / "fixtures" / "fhir" / "drop"
BUNDLE_PATIENT = "0b9c1d7e-0000-4000-8000-000000000001"


@pytest.fixture
def loaded(wh: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    fhir.ingest_fhir_drop(wh, DROP, "run-1")
    return wh


def test_every_resource_read_is_loaded_or_quarantined_per_file(loaded: duckdb.DuckDBPyConnection) -> None:
    rows = loaded.execute(
        "select file_name, status, rows_read, rows_loaded, rows_quarantined from load_ledger "
        "order by file_name"
    ).fetchall()
    assert rows == [
        ("Medication.ndjson", "loaded", 0, 0, 0),
        ("MedicationStatement.ndjson", "loaded", 2, 1, 1),
        ("Observation.ndjson", "loaded", 9, 4, 5),
        ("Patient.ndjson", "loaded", 2, 1, 1),
        ("README.txt", "ignored", 0, 0, 0),
        (
            "bundle-p1.json",
            "loaded",
            7 + ("procedures" in contract.KINDS),
            4 + ("procedures" in contract.KINDS),
            3,
        ),
    ]
    per_file = loaded.execute(
        "select l.file_name, l.rows_quarantined, count(q.load_id) from load_ledger as l "
        "left join quarantine as q using (load_id) group by all having l.rows_quarantined != count(q.load_id)"
    ).fetchall()
    assert per_file == []


@pytest.mark.parametrize(
    ("file_name", "line", "kind", "reason"),
    [
        pytest.param(
            "bundle-p1.json",
            None,
            "diagnoses",
            "entry 3, Condition/cond-no-subject: it has no subject",
            id="no-subject",
        ),
        pytest.param(
            "bundle-p1.json",
            None,
            "diagnoses",
            "entry 4, Condition/cond-local-code: code has no coding of a code system read here (expected "
            "ICD-10-CM, ICD-9-CM or SNOMED CT; found http://hospital.example.org/local-dx|M32.14)",
            id="unknown-system-not-matched-by-code-alone",
        ),
        pytest.param(
            "bundle-p1.json",
            None,
            "labs",
            "entry 5, Observation/obs-crp-bad-date: effective[x] '2024-02-30' is not a full date",
            id="impossible-date",
        ),
        pytest.param(
            "Observation.ndjson",
            7,
            "labs",
            "line 7, Observation/obs-partial: effective[x] '2026-09' is not a full date",
            id="partial-date",
        ),
        pytest.param(
            "Observation.ndjson",
            8,
            "labs",
            "line 8, Observation/obs-group: its subject is not a reference to a Patient",
            id="group-subject",
        ),
        pytest.param(
            "Observation.ndjson",
            9,
            "labs",
            "line 9, Observation/obs-ratio: no value read (value[x]: valueRatio",
            id="ratio-value",
        ),
        pytest.param(
            "Observation.ndjson", 10, "fhir", "line 10: the line is not valid JSON", id="cut-off-line"
        ),
        pytest.param(
            "MedicationStatement.ndjson",
            2,
            "medications",
            "line 2, MedicationStatement/ms-not-taken: status is not-taken",
            id="not-taken",
        ),
        pytest.param(
            "Patient.ndjson",
            2,
            "patients",
            "line 2, Patient/p3: deceasedBoolean is true without a date",
            id="dead-without-date",
        ),
    ],
)
def test_bad_resource_is_quarantined_with_its_place_and_reason(
    loaded: duckdb.DuckDBPyConnection, file_name: str, line: int | None, kind: str, reason: str
) -> None:
    rows = loaded.execute(
        "select kind, reason from quarantine "
        "where file_name = ? and line is not distinct from ? and starts_with(reason, ?)",
        [file_name, line, reason],
    ).fetchall()
    assert [r[0] for r in rows] == [kind]


def test_identifiers_and_other_extensions_never_reach_the_warehouse(
    loaded: duckdb.DuckDBPyConnection,
) -> None:
    tables = [
        r[0] for r in loaded.execute("select table_name from duckdb_tables() where not temporary").fetchall()
    ]
    text = " ".join(str(loaded.execute(f'select * from "{t}"').fetchall()) for t in tables)
    for value in (
        "Zabriskie",
        "Quentina",
        "MRN-775511",
        "555-0199",
        "Larkspur",
        "Oberholtzer",
        "Vandersloot",
        "999-12-3456",
    ):
        assert value not in text


@pytest.mark.parametrize(
    ("table", "where", "expected"),
    [
        pytest.param(
            "raw_patients", "patient_id = 'p2'", [("M", None, 1971, "SITE_B")], id="year-only-birth-date"
        ),
        pytest.param(
            "raw_patients",
            f"patient_id = '{BUNDLE_PATIENT}'",
            [("F", "1980-04-02", None, "SITE_A")],
            id="site-from-managing-organization",
        ),
    ],
)
def test_patient_columns(loaded: duckdb.DuckDBPyConnection, table: str, where: str, expected: list) -> None:
    rows = loaded.execute(
        f"select sex, cast(birth_date as varchar), birth_year, site_id from {table} where {where}"
    ).fetchall()
    assert rows == expected


def test_site_extension_wins_over_managing_organization(wh: duckdb.DuckDBPyConnection) -> None:
    fhir.ingest_fhir_drop(wh, DROP, "run-1", site_extension="http://example.org/fhir/site")
    assert wh.execute(
        "select site_id from raw_patients where patient_id = ?", [BUNDLE_PATIENT]
    ).fetchall() == [("SITE_X",)]


def test_condition_gives_one_row_per_known_coding_resolving_urn_uuid_subject(
    loaded: duckdb.DuckDBPyConnection,
) -> None:
    rows = loaded.execute(
        "select patient_id, code_system, code, cast(diagnosis_date as varchar), source "
        "from raw_diagnoses order by code_system"
    ).fetchall()
    assert rows == [
        (BUNDLE_PATIENT, "ICD10CM", "M32.14", "2023-11-27", "problem_list"),
        (BUNDLE_PATIENT, "SNOMEDCT", "68815009", "2023-11-27", "problem_list"),
    ]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        pytest.param("33914-3", (62.0, None, "mL/min/{1.73_m2}", 60.0, None), id="ucum-code-and-low-limit"),
        pytest.param("1988-5", (None, "<0.5", "mg/dL", None, 1.0), id="comparator-as-contract-text"),
        pytest.param("8480-6", (128.0, None, "mm[Hg]", None, None), id="component-systolic"),
        pytest.param("8462-4", (82.0, None, "mm[Hg]", None, None), id="component-diastolic"),
        pytest.param("5196-1", (None, "Negative", None, None, None), id="codeable-concept-display"),
    ],
)
def test_observation_values(loaded: duckdb.DuckDBPyConnection, code: str, expected: tuple) -> None:
    rows = loaded.execute(
        "select value_num, value_text, unit, ref_low, ref_high from raw_labs where code = ?", [code]
    ).fetchall()
    assert rows == [expected]


def _observation(oid: str, code: str, value: dict, ranges: list | None) -> dict:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2026-10-01",
        **value,
        **({"referenceRange": ranges} if ranges is not None else {}),
    }


UCUM = "http://unitsofmeasure.org"


@pytest.mark.parametrize(
    ("value", "ranges", "expected"),
    [
        pytest.param(
            {"valueString": "Not detected"},
            [{"high": {"value": 20, "unit": "IU/mL"}}],
            (None, "Not detected", "IU/mL", None, 20.0),
            id="text-result-takes-the-unit-of-its-range",
        ),
        pytest.param(
            {"valueCodeableConcept": {"text": "Negative"}},
            [{"low": {"value": 0.9, "system": UCUM, "code": "[IU]/mL"}}],
            (None, "Negative", "[IU]/mL", 0.9, None),
            id="coded-result-takes-the-ucum-code-of-its-range",
        ),
        pytest.param(
            {"valueString": "Not detected"},
            None,
            (None, "Not detected", None, None, None),
            id="text-result-without-range-has-no-unit",
        ),
        pytest.param(
            {"valueQuantity": {"value": 1.2, "unit": "mg/dL", "system": UCUM, "code": "mg/dL"}},
            [{"high": {"value": 1.0, "unit": "mg/dL", "system": UCUM, "code": "mg/dL"}}],
            (1.2, None, "mg/dL", None, 1.0),
            id="range-in-the-values-unit-is-kept",
        ),
        pytest.param(
            {"valueQuantity": {"value": 1.2, "unit": "mg/dL", "system": UCUM, "code": "mg/dL"}},
            [
                {
                    "low": {"value": 45, "code": "umol/L", "system": UCUM},
                    "high": {"value": 90, "unit": "umol/L"},
                }
            ],
            (1.2, None, "mg/dL", None, None),
            id="range-in-another-unit-is-left-out",
        ),
        pytest.param(
            {"valueQuantity": {"value": 1.2, "unit": "mg/dL"}},
            [{"high": {"value": 1.0}}],
            (1.2, None, "mg/dL", None, 1.0),
            id="range-without-unit-is-in-the-values-unit",
        ),
    ],
)
def test_reference_range_and_unit(
    wh: duckdb.DuckDBPyConnection, tmp_path: Path, value: dict, ranges: list | None, expected: tuple
) -> None:
    """ref_low and ref_high are in the row's unit (the contract): a text or coded result,
    which FHIR gives no unit, takes its range's; a range in another unit is left out."""
    drop = tmp_path / "drop"
    drop.mkdir()
    patient = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1980-01-01"}
    lines = [patient, _observation("o1", "5196-1", value, ranges)]
    (drop / "export.ndjson").write_text("\n".join(json.dumps(r) for r in lines) + "\n", encoding="utf-8")
    fhir.ingest_fhir_drop(wh, drop, "run-1")
    rows = wh.execute("select value_num, value_text, unit, ref_low, ref_high from raw_labs").fetchall()
    assert rows == [expected]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        pytest.param(
            "8640",
            ("prednisone 5 MG Oral Tablet", "2026-05-11", "2026-08-10", 5.0, "mg", "BID", "oral"),
            id="request-contained-medication-validity-period",
        ),
        pytest.param(
            "68149",
            (
                "mycophenolate mofetil 500 MG Oral Tablet",
                "2026-01-30",
                "2026-07-30",
                1.0,
                "g",
                "Q12H",
                "oral",
            ),
            id="statement-medication-in-another-file",
        ),
        pytest.param("03", ("MMR", "2026-09-27", None, 0.5, "mL", "ONCE", "sc"), id="immunization-as-cvx"),
    ],
)
def test_medication_rows(loaded: duckdb.DuckDBPyConnection, code: str, expected: tuple) -> None:
    rows = loaded.execute(
        "select drug_name, cast(start_date as varchar), cast(end_date as varchar), dose_value, dose_unit, "
        "frequency, route from raw_medications where code = ?",
        [code],
    ).fetchall()
    assert rows == [expected]


def test_a_file_loaded_before_is_skipped(wh: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    fhir.ingest_fhir_drop(wh, DROP, "run-1")
    again = tmp_path / "drop"
    shutil.copytree(DROP, again)
    (again / "Observation.ndjson").rename(again / "Observation-copy.ndjson")
    results = fhir.ingest_fhir_drop(wh, again, "run-2")
    statuses = {r.file_name: r.status for r in results}
    assert statuses["Observation-copy.ndjson"] == "skipped"
    assert wh.execute("select count(*) from raw_labs").fetchone()[0] == 5


@pytest.mark.parametrize(
    ("as_needed", "frequency", "period", "unit", "count", "code", "expected"),
    [
        pytest.param(None, "1", "1", "d", None, None, "QD", id="once-a-day"),
        pytest.param(None, "3", "1", "d", None, None, "TID", id="three-a-day"),
        pytest.param(None, "1", "8", "h", None, None, "Q8H", id="every-8-hours"),
        pytest.param(None, "1", "24", "h", None, None, "Q24H", id="every-24-hours"),
        pytest.param(None, "1", "2", "d", None, None, "QOD", id="every-other-day"),
        pytest.param(None, "1", "2", "wk", None, None, "Q2W", id="every-2-weeks"),
        pytest.param(None, None, None, None, "1", None, "ONCE", id="single-count"),
        pytest.param("true", "1", "1", "d", None, None, "PRN", id="as-needed-wins"),
        pytest.param(None, None, None, None, None, "bid", "BID", id="timing-code"),
        pytest.param(None, "2", "1", "wk", None, None, None, id="twice-a-week-has-no-contract-code"),
    ],
)
def test_fhir_frequency(
    wh: duckdb.DuckDBPyConnection, as_needed, frequency, period, unit, count, code, expected
) -> None:
    wh.execute(fhir.FHIR_SQL_DIR.joinpath("fhir_macros.sql").read_text())
    got = wh.execute(
        "select fhir_frequency(?, ?, ?, ?, ?, ?)", [as_needed, frequency, period, unit, count, code]
    ).fetchone()[0]
    assert got == expected


@pytest.mark.parametrize(
    ("drop", "form"),
    [
        pytest.param(DROP, "fhir", id="ndjson-and-bundle"),
        pytest.param(DROP.parents[2].parent / "data" / "sample", "contract", id="contract-files"),
    ],
)
def test_detect_form_tells_a_fhir_drop_from_its_files(drop: Path, form: str) -> None:
    assert forms.detect_form(drop) == form


def test_a_truncated_bundle_is_one_quarantined_row(wh: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    text = (DROP / "bundle-p1.json").read_text(encoding="utf-8")
    (drop / "bundle.json").write_text(text[: len(text) // 2], encoding="utf-8")
    [result] = fhir.ingest_fhir_drop(wh, drop, "run-1")
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_quarantined) == (
        "loaded",
        1,
        0,
        1,
    )
    assert wh.execute("select line, reason from quarantine").fetchall() == [
        (None, "the document: the file is not valid JSON (expected a Bundle or a resource; truncated?)")
    ]


def test_procedure_maps_onto_the_procedures_kind(wh: duckdb.DuckDBPyConnection) -> None:
    """The view is checked on its own: the procedures kind (contract version 2) may not be
    in this checkout's contract yet, and then ingest leaves Procedures unread."""
    paths = sorted(DROP.iterdir())
    fhir._prepare(wh, paths, None, "SITE")
    fhir._read_lines(wh, [DROP / "bundle-p1.json"])
    wh.execute(
        f"create temp table fhir_resources as {(fhir.FHIR_SQL_DIR / 'fhir_resources.sql').read_text()}"
    )
    rows = wh.execute(
        f"select patient_id, code_system, code, procedure_date, _fhir_problems "
        f"from ({(fhir.FHIR_SQL_DIR / 'fhir_procedures.sql').read_text()})"
    ).fetchall()
    assert rows == [(BUNDLE_PATIENT, "SNOMEDCT", "432231006", "2025-03-03T08:00:00Z", [])]


def test_medications_are_indexed_file_by_file_when_batches_are_small(
    wh: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The drop's Medications are read in batches (a drop of Bundles that each hold one is
    never read whole at once); a statement still finds its Medication in another file."""
    monkeypatch.setattr(fhir, "BATCH_BYTES", 1)
    fhir.ingest_fhir_drop(wh, DROP, "run-1")
    rows = wh.execute(
        "select drug_name, dose_value, dose_unit from raw_medications where code = '68149'"
    ).fetchall()
    assert rows == [("mycophenolate mofetil 500 MG Oral Tablet", 1.0, "g")]
