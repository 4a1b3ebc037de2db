"""The OMOP CDM reader: a small CDM written here (its own vocabulary, concept ids of its
own: the reader names none but the CDM's gender concepts) is read into the raw tables
with every row loaded or quarantined, codes through CONCEPT, both the source and the
standard code kept, and each drug end-date convention as docs/inputs.md says."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.ingest import forms, omop

# concept_id, concept_name, domain_id, vocabulary_id, concept_code
CONCEPTS = [
    (101, "SLE with glomerular disease", "Condition", "ICD10CM", "M32.14"),
    (102, "Systemic lupus erythematosus", "Condition", "SNOMED", "55464009"),
    (103, "Kidney transplant status", "Observation", "ICD10CM", "Z94.0"),
    (104, "Local code", "Condition", "Local", "X-1"),
    (201, "Hemoglobin [Mass/volume] in Blood", "Measurement", "LOINC", "718-7"),
    (202, "gram per deciliter", "Unit", "UCUM", "g/dL"),
    (203, "<", "Meas Value Operator", "Meas Value Operator", "4171756"),
    (204, "Positive", "Meas Value", "SNOMED", "10828004"),
    (205, "HBsAg", "Measurement", "LOINC", "5196-1"),
    (206, "SLEDAI-2K", "Measurement", "SCORE", "SLEDAI2K"),
    (207, "Tobacco smoking status", "Observation", "SNOMED", "229819007"),
    (301, "prednisone 5 MG Oral Tablet", "Drug", "RxNorm", "312617"),
    (302, "Oral", "Route", "SNOMED", "26643006"),
    (303, "Some extension drug", "Drug", "RxNorm Extension", "OMOP999"),
    (401, "Percutaneous renal needle biopsy", "Procedure", "SNOMED", "274326000"),
    (402, "Renal biopsy; percutaneous", "Procedure", "CPT4", "50200"),
    (501, "EHR encounter diagnosis", "Type Concept", "Type Concept", "OMOP4976890"),
]


def _csv(folder: Path, name: str, header: str, rows: list[str]) -> None:
    (folder / name).write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")


def write_cdm(folder: Path, *, drugs: list[str] | None = None, measurements: list[str] | None = None) -> Path:
    """A small CDM: CONCEPT, CONCEPT_RELATIONSHIP, CDM_SOURCE, PERSON, DEATH and one file
    per clinical table, with the upper-case names OHDSI ships."""
    folder.mkdir(parents=True, exist_ok=True)
    _csv(
        folder,
        "CONCEPT.csv",
        "concept_id,concept_name,domain_id,vocabulary_id,concept_class_id,standard_concept,concept_code,"
        "valid_start_date,valid_end_date,invalid_reason",
        [f'{i},"{n}",{d},{v},x,,{c},1970-01-01,2099-12-31,' for i, n, d, v, c in CONCEPTS],
    )
    _csv(
        folder,
        "CONCEPT_RELATIONSHIP.csv",
        "concept_id_1,concept_id_2,relationship_id,valid_start_date,valid_end_date,invalid_reason",
        ["101,102,Maps to,1970-01-01,2099-12-31,", "103,102,Maps to,1970-01-01,2099-12-31,D"],
    )
    _csv(
        folder,
        "CDM_SOURCE.csv",
        "cdm_source_name,cdm_source_abbreviation,cdm_holder,source_release_date,cdm_release_date,cdm_version",
        ["Test hospital,SITE_T,x,2026-11-20,2026-11-21,5.4"],
    )
    _csv(
        folder,
        "CARE_SITE.csv",
        "care_site_id,care_site_name,place_of_service_concept_id,location_id,care_site_source_value,"
        "place_of_service_source_value",
        ["7,North clinic,0,,NORTH,"],
    )
    _csv(
        folder,
        "PERSON.csv",
        "person_id,gender_concept_id,year_of_birth,month_of_birth,day_of_birth,birth_datetime,race_concept_id,"
        "ethnicity_concept_id,location_id,provider_id,care_site_id,person_source_value,gender_source_value,"
        "gender_source_concept_id,race_source_value,race_source_concept_id,ethnicity_source_value,"
        "ethnicity_source_concept_id",
        [
            "1,8532,1980,5,1,1980-05-01 00:00:00,0,0,,,7,MRN-SECRET-0001,F,0,,0,,0",
            "2,8507,1970,,,,0,0,,,,MRN-SECRET-0002,M,0,,0,,0",
            "3,0,1990,2,3,,0,0,,,,MRN-SECRET-0003,female,0,,0,,0",
        ],
    )
    _csv(
        folder,
        "DEATH.csv",
        "person_id,death_date,death_datetime,death_type_concept_id,cause_concept_id,cause_source_value,"
        "cause_source_concept_id",
        ["2,2025-01-02,,0,0,,0", "99,2025-01-02,,0,0,,0"],
    )
    _csv(
        folder,
        "CONDITION_OCCURRENCE.csv",
        "condition_occurrence_id,person_id,condition_concept_id,condition_start_date,condition_start_datetime,"
        "condition_end_date,condition_end_datetime,condition_type_concept_id,condition_status_concept_id,"
        "stop_reason,provider_id,visit_occurrence_id,visit_detail_id,condition_source_value,"
        "condition_source_concept_id,condition_status_source_value",
        [
            "1,1,102,2024-01-01,,,,501,0,,,,,M32.14,101,",  # line 2: source ICD10CM and standard SNOMED
            "2,1,0,2024-02-01,,,,501,0,,,,,M32.14,101,",  # line 3: unmapped, Maps to gives SNOMED
            "3,1,0,2024-03-01,,,,501,0,,,,,Z94.0,103,",  # line 4: unmapped, its Maps to is invalid
            "4,1,0,2024-04-01,,,,501,0,,,,,LOCAL-7,0,",  # line 5: no concept at all
            "5,1,0,2024-05-01,,,,501,0,,,,,X-1,104,",  # line 6: a local vocabulary only
            "6,1,102,2024-13-01,,,,501,0,,,,,M32.14,101,",  # line 7: not a date
        ],
    )
    _csv(
        folder,
        "MEASUREMENT.csv",
        "measurement_id,person_id,measurement_concept_id,measurement_date,measurement_datetime,measurement_time,"
        "measurement_type_concept_id,operator_concept_id,value_as_number,value_as_concept_id,unit_concept_id,"
        "range_low,range_high,provider_id,visit_occurrence_id,visit_detail_id,measurement_source_value,"
        "measurement_source_concept_id,unit_source_value,unit_source_concept_id,value_source_value,"
        "measurement_event_id,meas_event_field_concept_id",
        measurements
        or [
            "1,1,201,2026-10-01,,,0,0,12.5,0,202,12,16,,,,718-7,201,g/dl,,12.5,,",  # line 2
            "2,1,201,2026-10-02,,,0,0,13,0,0,,,,,,718-7,201,g/L,,13,,",  # line 3: unit concept 0
            "3,1,201,2026-10-03,,,0,203,0.5,0,202,,,,,,718-7,201,g/dL,,<0.5,,",  # line 4: '<'
            "4,1,205,2026-10-04,,,0,0,,204,0,,,,,,5196-1,205,,,pos,,",  # line 5: qualitative
            "5,1,206,2026-10-05,,,0,0,9,0,0,,,,,,SLEDAI2K,206,,,9,,",  # line 6: a site's SCORE vocabulary
            "6,1,0,2026-10-06,,,0,0,1,0,0,,,,,,HGB-LOCAL,0,,,1,,",  # line 7: no concept
        ],
    )
    _csv(
        folder,
        "OBSERVATION.csv",
        "observation_id,person_id,observation_concept_id,observation_date,observation_datetime,"
        "observation_type_concept_id,value_as_number,value_as_string,value_as_concept_id,qualifier_concept_id,"
        "unit_concept_id,provider_id,visit_occurrence_id,visit_detail_id,observation_source_value,"
        "observation_source_concept_id,unit_source_value,qualifier_source_value,value_source_value,"
        "observation_event_id,obs_event_field_concept_id",
        [
            "1,1,206,2026-10-07,,0,10,,0,0,0,,,,SLEDAI2K,206,,,,,",  # line 2: a score kept here
            "2,1,207,2026-10-07,,0,,,0,0,0,,,,229819007,207,,,,,",  # line 3: not a lab
        ],
    )
    _csv(
        folder,
        "DRUG_EXPOSURE.csv",
        "drug_exposure_id,person_id,drug_concept_id,drug_exposure_start_date,drug_exposure_start_datetime,"
        "drug_exposure_end_date,drug_exposure_end_datetime,verbatim_end_date,drug_type_concept_id,stop_reason,"
        "refills,quantity,days_supply,sig,route_concept_id,lot_number,provider_id,visit_occurrence_id,"
        "visit_detail_id,drug_source_value,drug_source_concept_id,route_source_value,dose_unit_source_value",
        drugs
        or [
            # line 2: the source's own end (verbatim) wins over the derived end
            "1,1,301,2026-01-01,,2026-01-31,,2026-01-20,0,,0,,,20 mg QD,302,,,,,312617,301,,",
            # line 3: start + days_supply, no verbatim end: trusted
            "2,1,301,2026-02-01,,2026-03-03,,,0,,0,60,30,,302,,,,,312617,301,,tablet",
            # line 4: a fixed 30 days, no days supply, no verbatim end: kept as the estimate
            "3,1,301,2026-04-01,,2026-04-30,,,0,,0,,,,0,,,,,312617,301,PO,",
            # line 5: the extraction date (CDM_SOURCE 2026-11-20) filled in: an open order
            "4,1,301,2026-06-01,,2026-11-20,,,0,,0,,,2 tablet BID,302,,,,,312617,301,,",
            # line 6: RxNorm Extension only
            "5,1,303,2026-06-01,,2026-06-02,,,0,,0,,,,0,,,,,OMOP999,303,,",
        ],
    )
    _csv(
        folder,
        "PROCEDURE_OCCURRENCE.csv",
        "procedure_occurrence_id,person_id,procedure_concept_id,procedure_date,procedure_datetime,"
        "procedure_end_date,procedure_end_datetime,procedure_type_concept_id,modifier_concept_id,quantity,"
        "provider_id,visit_occurrence_id,visit_detail_id,procedure_source_value,procedure_source_concept_id,"
        "modifier_source_value",
        ["1,1,401,2026-09-01,,,,0,0,,,,,50200,402,"],
    )
    (folder / "VISIT_OCCURRENCE.csv").write_text("visit_occurrence_id,person_id\n1,1\n", encoding="utf-8")
    return folder


@pytest.fixture
def cdm(tmp_path: Path) -> Path:
    return write_cdm(tmp_path / "cdm")


def _read(wh: duckdb.DuckDBPyConnection, drop: Path) -> dict[str, tuple]:
    results = forms.read_drop(wh, drop, "run1")
    return {r.file_name: (r.status, r.rows_read, r.rows_loaded, r.rows_quarantined) for r in results}


def _rows(wh: duckdb.DuckDBPyConnection, query: str) -> list[tuple]:
    return wh.execute(query).fetchall()


def _reason(wh: duckdb.DuckDBPyConnection, file_name: str, line: int) -> str:
    return _rows(wh, f"select reason from quarantine where file_name = '{file_name}' and line = {line}")[0][0]


def test_every_row_of_every_clinical_table_is_loaded_or_quarantined(wh, cdm):
    outcome = _read(wh, cdm)
    assert outcome == {
        "PERSON.csv": ("loaded", 3, 3, 0),
        "DEATH.csv": ("loaded", 2, 1, 1),
        "CONDITION_OCCURRENCE.csv": ("loaded", 6, 3, 3),
        "MEASUREMENT.csv": ("loaded", 6, 5, 1),
        "OBSERVATION.csv": ("loaded", 2, 1, 1),
        "DRUG_EXPOSURE.csv": ("loaded", 5, 4, 1),
        "PROCEDURE_OCCURRENCE.csv": ("loaded", 1, 1, 0),
        "CARE_SITE.csv": ("ignored", 0, 0, 0),
        "CDM_SOURCE.csv": ("ignored", 0, 0, 0),
        "CONCEPT.csv": ("ignored", 0, 0, 0),
        "CONCEPT_RELATIONSHIP.csv": ("ignored", 0, 0, 0),
        "VISIT_OCCURRENCE.csv": ("ignored", 0, 0, 0),
    }


def test_a_table_loaded_before_is_skipped(wh, cdm):
    _read(wh, cdm)
    again = _read(wh, cdm)
    assert again["MEASUREMENT.csv"] == ("skipped", 0, 0, 0)
    assert _rows(wh, "select count(*) from raw_labs") == [(6,)]  # 5 measurements and 1 observation


def test_persons_sex_birth_site_and_death(wh, cdm):
    _read(wh, cdm)
    rows = _rows(
        wh,
        "select distinct patient_id, sex, birth_date::varchar, birth_year, site_id, death_date::varchar "
        "from raw_patients order by patient_id",
    )
    assert rows == [
        ("1", "F", "1980-05-01", 1980, "NORTH", None),  # care site's source value
        ("2", "M", None, 1970, "SITE_T", "2025-01-02"),  # CDM_SOURCE abbreviation; year only
        ("3", "F", "1990-02-03", 1990, "SITE_T", None),  # gender concept 0: source value 'female'
    ]
    assert _reason(wh, "DEATH.csv", 3) == (
        "person_id '99' of DEATH is not in PERSON (expected the person's PERSON row in the same CDM)"
    )


def test_no_person_source_value_enters_the_warehouse(wh, cdm):
    _read(wh, cdm)
    tables = [r[0] for r in _rows(wh, "select table_name from duckdb_tables() where not temporary")]
    for table in tables:
        text = _rows(wh, f"select count(*) from {table} t where cast(t as varchar) like '%MRN-SECRET%'")
        assert text == [(0,)], table
    message = _rows(wh, "select message from load_ledger where file_name = 'PERSON.csv'")[0][0]
    assert "person_source_value" in message and "not stored" in message


@pytest.mark.parametrize(
    ("line", "codes"),
    [
        pytest.param(2, [("ICD10CM", "M32.14"), ("SNOMED", "55464009")], id="source-and-standard-both-kept"),
        pytest.param(
            3, [("ICD10CM", "M32.14"), ("SNOMED", "55464009")], id="concept-0-standard-from-maps-to"
        ),
        pytest.param(4, [("ICD10CM", "Z94.0")], id="concept-0-invalid-maps-to-source-alone"),
    ],
)
def test_a_diagnosis_keeps_its_source_and_its_standard_code(wh, cdm, line, codes):
    _read(wh, cdm)
    rows = _rows(wh, f"select code_system, code from raw_diagnoses where _line = {line} order by all")
    assert rows == [(("SNOMEDCT" if s == "SNOMED" else s), c) for s, c in codes]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        pytest.param(
            5,
            "condition_concept_id and condition_source_concept_id are 0 or not in the site's CONCEPT table, "
            "so the code system of condition_source_value 'LOCAL-7' is unknown (expected a concept in "
            "ICD10CM, ICD9CM or SNOMED)",
            id="no-concept",
        ),
        pytest.param(
            6,
            "the row's concepts are Local X-1 (source), none in ICD10CM, ICD9CM or SNOMED",
            id="local-vocabulary",
        ),
        pytest.param(7, "diagnosis_date '2024-13-01' is not a date (expected YYYY-MM-DD)", id="bad-date"),
    ],
)
def test_a_diagnosis_without_a_usable_code_or_date_is_quarantined_with_its_reason(wh, cdm, line, reason):
    _read(wh, cdm)
    assert _reason(wh, "CONDITION_OCCURRENCE.csv", line) == reason
    assert _rows(wh, f"select count(*) from raw_diagnoses where _line = {line}") == [(0,)]


def test_measurement_values_units_comparators_and_ranges(wh, cdm):
    _read(wh, cdm)
    rows = _rows(
        wh,
        "select _line, code_system, code, value_num, value_text, unit, ref_low, ref_high from raw_labs "
        "where _load_id = (select load_id from load_ledger where file_name = 'MEASUREMENT.csv') "
        "order by _line",
    )
    assert rows == [
        (2, "LOINC", "718-7", 12.5, None, "g/dL", 12.0, 16.0),  # UCUM code of the unit concept
        (3, "LOINC", "718-7", 13.0, None, "g/L", None, None),  # unit concept 0: unit_source_value
        (4, "LOINC", "718-7", None, "<0.5", "g/dL", None, None),  # operator '<': as the contract writes it
        (5, "LOINC", "5196-1", None, "Positive", None, None, None),  # value_as_concept_id's name
        (6, "SCORE", "SLEDAI2K", 9.0, None, None, None, None),
    ]
    assert _reason(wh, "MEASUREMENT.csv", 7).startswith(
        "measurement_concept_id and measurement_source_concept_id are 0"
    )


def test_observation_scores_are_labs_and_other_observations_are_quarantined(wh, cdm):
    _read(wh, cdm)
    rows = _rows(
        wh,
        "select code_system, code, value_num from raw_labs where _load_id = "
        "(select load_id from load_ledger where file_name = 'OBSERVATION.csv')",
    )
    assert rows == [("SCORE", "SLEDAI2K", 10.0)]
    assert _reason(wh, "OBSERVATION.csv", 3) == (
        "the row's concept is SNOMED 229819007 (source and standard), not in LOINC or a SCORE vocabulary"
    )


@pytest.mark.parametrize(
    ("line", "end_date", "dose", "route"),
    [
        pytest.param(2, "2026-01-20", (20.0, "mg", "QD"), "oral", id="verbatim-end-date-trusted-sig-read"),
        pytest.param(3, "2026-03-03", (2.0, "tablet", "QD"), "oral", id="start-plus-days-supply-trusted"),
        pytest.param(4, "2026-04-30", (None, None, None), "PO", id="fixed-30-days-kept-route-source-value"),
        pytest.param(5, None, (2.0, "tablet", "BID"), "oral", id="extraction-date-means-open-order"),
    ],
)
def test_drug_end_date_conventions_dose_and_route(wh, cdm, line, end_date, dose, route):
    _read(wh, cdm)
    row = _rows(
        wh,
        "select code_system, code, drug_name, end_date::varchar, dose_value, dose_unit, frequency, route "
        f"from raw_medications where _line = {line}",
    )
    assert row == [("RXNORM", "312617", "prednisone 5 MG Oral Tablet", end_date, *dose, route)]


def test_a_drug_in_rxnorm_extension_only_is_quarantined(wh, cdm):
    _read(wh, cdm)
    assert _reason(wh, "DRUG_EXPOSURE.csv", 6) == (
        "the row's concept is RxNorm Extension OMOP999 (source and standard), not in RxNorm, ATC or CVX"
    )


def test_procedures_keep_the_cpt_source_and_the_snomed_standard(wh, cdm):
    _read(wh, cdm)
    assert _rows(wh, "select code_system, code from raw_procedures order by all") == [
        ("CPT4", "50200"),
        ("SNOMEDCT", "274326000"),
    ]


def test_lower_case_parquet_tables_read_as_csv_ones(wh, tmp_path):
    folder = write_cdm(tmp_path / "csv")
    parquet = tmp_path / "parquet"
    parquet.mkdir()
    for path in folder.glob("*.csv"):
        target = parquet / (path.stem.lower() + ".parquet")
        wh.execute(
            f"copy (select * from read_csv('{path}', all_varchar = true)) to '{target}' (format parquet)"
        )
    outcome = _read(wh, parquet)
    assert outcome["condition_occurrence.parquet"] == ("loaded", 6, 3, 3)
    assert outcome["drug_exposure.parquet"] == ("loaded", 5, 4, 1)


def test_a_duckdb_database_with_the_cdm_in_a_schema(wh, tmp_path):
    folder = write_cdm(tmp_path / "csv")
    database = tmp_path / "site.duckdb"
    with duckdb.connect(str(database)) as db:
        db.execute("create schema cdm")
        for path in folder.glob("*.csv"):
            db.execute(f"create table cdm.{path.stem.lower()} as select * from read_csv('{path}')")
    outcome = _read(wh, database)
    assert outcome["site.duckdb:cdm.measurement"] == ("loaded", 6, 5, 1)
    assert outcome["site.duckdb:cdm.person"] == ("loaded", 3, 3, 0)
    assert _rows(wh, "select count(distinct _line) from raw_diagnoses") == [(3,)]


def test_a_drop_without_concept_is_refused(wh, cdm):
    (cdm / "CONCEPT.csv").unlink()
    with pytest.raises(Exception, match="needs its CONCEPT table"):
        forms.read_drop(wh, cdm, "run1")


@pytest.mark.parametrize(
    ("files", "form"),
    [
        pytest.param({"Patient.000.ndjson": '{"resourceType":"Patient"}\n'}, "fhir", id="bulk-ndjson"),
        pytest.param({"x.json": '{"resourceType": "Bundle", "entry": []}'}, "fhir", id="bundle-json"),
        # the FHIR reader reads a single resource as a .json file too
        pytest.param({"x.json": '{"resourceType": "Patient"}'}, "fhir", id="json-single-resource"),
        pytest.param({"x.json": '{"name": "not fhir"}'}, "contract", id="json-without-resource-type"),
        pytest.param({"PERSON.csv": "person_id\n"}, "omop", id="omop-person-upper"),
        pytest.param({"person.parquet": ""}, "omop", id="omop-person-parquet"),
        pytest.param({"cdm.duckdb": ""}, "omop", id="duckdb-file"),
        pytest.param({"patients.csv": "a\n", "labs.csv": "a\n"}, "contract", id="contract"),
        pytest.param({"persons.csv": "a\n"}, "contract", id="not-a-cdm-name"),
    ],
)  # fmt: skip
def test_the_form_of_a_drop_is_told_from_its_files(tmp_path, files, form):
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert forms.detect_form(tmp_path) == form


def test_a_form_without_a_reader_is_a_refused_drop():
    with pytest.raises(Exception, match="drop format 'xml'"):
        forms.reader_for("xml")


def test_the_cdm_tables_the_reader_maps():
    assert {t.kind for t in omop.CLINICAL.values()} == {
        "patients",
        "diagnoses",
        "labs",
        "medications",
        "procedures",
    }
