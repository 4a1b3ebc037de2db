"""Bad values end to end through the CLI (issue 17): a missing birth column pair, a drop
with no extract file, a patients table that ends up empty, an implausible lab value, and
Data Docs that cannot draw a part. None of them prints a Python traceback; a row-level
plausibility failure is a warning and the run goes on.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import main
from tests.flows.test_malformed_cli import Outcome, _terminal, _validate, _write

pytestmark = pytest.mark.slow

AS_OF = "2025-07-15"
PATIENTS_HEADER = "patient_id,sex,birth_date,site_id\n"
LABS_HEADER = "patient_id,code_system,code,result_date,value_num,unit\n"


def _scan(drop: Path, root: Path, *extra: str) -> Outcome:
    with _terminal() as (out, err):
        code = main(
            [
                "scan",
                "--extracts",
                str(drop),
                "--warehouse",
                str(root / "wh.duckdb"),
                "--out",
                str(root / "out"),
                "--as-of",
                AS_OF,
                "--trial",
                "cart_autoimmune",
                *extra,
            ]
        )
    return Outcome(code, out.getvalue(), err.getvalue())


def _drop(root: Path, files: dict[str, str]) -> Path:
    drop = root / "drop"
    drop.mkdir()
    for name, content in files.items():
        _write(drop, name, content)
    return drop


def _hb_rows(patients: int, bad: int) -> str:
    """One Hb per patient P1..Pn on 2025-07-01, the first `bad` of them -112 g/L."""
    return "".join(
        f"P{i},LOINC,718-7,2025-07-01,{-112 if i <= bad else 120},g/L\n" for i in range(1, patients + 1)
    )


def _patients(count: int) -> str:
    return PATIENTS_HEADER + "".join(f"P{i},F,1980-01-02,SITE_A\n" for i in range(1, count + 1))


def _export(root: Path, name: str) -> Path:
    return root / "out" / "cart_autoimmune" / AS_OF / name


# --- refused --------------------------------------------------------------------------------


def test_patients_file_without_birth_date_or_birth_year_is_refused_naming_the_pair(tmp_path):
    drop = _drop(tmp_path, {"patients.csv": "patient_id,sex,site_id\nP1,F,SITE_A\n"})
    seen = _validate(drop, tmp_path)
    assert seen.code == 2, seen.err
    assert seen.err.splitlines()[-1] == (
        "cohortscan: error: patients.csv: required column 'birth_date' or 'birth_year' is missing "
        "(a patients file needs patient_id, sex, site_id and birth_date or birth_year)"
    )
    assert "Traceback" not in seen.err + seen.out


def test_folder_without_any_extract_file_is_refused_saying_what_it_holds(tmp_path):
    """Files of no form (told from the files: contract); .ndjson files alone would be read as FHIR."""
    drop = _drop(tmp_path, {"export.xml": "<x/>\n", "summary.xml": "<x/>\n", "notes.txt": "x\n"})
    seen = _scan(drop, tmp_path)
    assert seen.code == 2, seen.err
    assert seen.err.splitlines()[-1] == (
        f"cohortscan: error: {drop}: holds no extract file of the contract, only 1 .txt file and "
        "2 .xml files (expected contract files named patients*, diagnoses*, labs* or medications* "
        "ending .csv, .csv.gz or .parquet; an OMOP or FHIR drop is read with --format omop or "
        "--format fhir)"
    )
    assert "Traceback" not in seen.err + seen.out


# --- a patients table that ends up empty ------------------------------------------------------


@pytest.mark.parametrize(
    "patients",
    [
        pytest.param(
            PATIENTS_HEADER + "P1,X,1980-01-02,SITE_A\nP2,F,2999-01-01,SITE_A\n", id="every-row-quarantined"
        ),
        pytest.param(PATIENTS_HEADER, id="header-only"),
    ],
)
def test_drop_whose_patients_table_is_empty_completes_with_zero_patients(tmp_path, patients):
    drop = _drop(tmp_path, {"patients.csv": patients, "labs.csv": LABS_HEADER + _hb_rows(2, 0)})
    seen = _scan(drop, tmp_path)
    assert seen.code == 0, seen.err
    assert "Traceback" not in seen.err + seen.out
    with _export(tmp_path, "candidates.csv").open(encoding="utf-8") as handle:
        assert list(csv.DictReader(handle)) == []
    report = json.loads(_export(tmp_path, "feasibility.json").read_text(encoding="utf-8"))
    assert report["funnel"]["overall"][0]["remaining"] == 0
    assert _export(tmp_path, "feasibility.html").stat().st_size > 0


# --- implausible values ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def implausible(tmp_path_factory) -> tuple[Path, Outcome]:
    """A scan of 30 patients with one Hb -112 g/L (3.3 % of the Hb rows) and a lab with an
    impossible date (quarantined)."""
    root = tmp_path_factory.mktemp("implausible")
    labs = LABS_HEADER + _hb_rows(30, 1) + "P3,LOINC,718-7,2025-02-30,120,g/L\n"
    drop = _drop(root, {"patients.csv": _patients(30), "labs.csv": labs})
    return root, _scan(drop, root)


def test_one_implausible_value_is_a_warning_with_its_count_and_the_run_goes_on(implausible):
    root, seen = implausible
    assert seen.code == 0, seen.err
    assert "stg_labs.hemoglobin_in_plausible_range 1" in seen.err
    run = json.loads(_export(root, "run.json").read_text(encoding="utf-8"))
    check = next(c for c in run["validation"]["checks"] if c["check"] == "hemoglobin_in_plausible_range")
    assert (check["status"], check["severity"], check["unexpected_count"]) == ("failed", "warning", 1)
    assert check["error_above_percent"] == 5
    with duckdb.connect(str(root / "wh.duckdb"), read_only=True) as con:
        flagged = con.execute("select patient_id, value from stg_labs where implausible").fetchall()
    assert flagged == [("P1", -112.0)]


def test_an_implausible_latest_result_leaves_its_criterion_unknown_and_says_why(implausible):
    root, _seen = implausible
    # criteria.parquet holds every patient x criterion (criteria.csv the candidates' rows)
    parquet = str(_export(root, "criteria.parquet"))
    [(status, evidence)] = duckdb.sql(
        f"select status, evidence from read_parquet('{parquet}') "
        "where patient_id = 'P1' and criterion_id = 'inc_blood_counts'"
    ).fetchall()
    blood = {"status": status, "evidence": evidence}
    assert blood["status"] == "unknown"
    assert "latest Hb -112 g/L on 2025-07-01 is implausible" in blood["evidence"]


def test_no_scan_output_carries_a_traceback(implausible):
    _root, seen = implausible
    assert "Traceback" not in seen.err + seen.out
    assert "labs.csv line 32: result_date '2025-02-30' is not a date" in seen.out


def test_implausible_values_over_the_table_threshold_stop_the_run(tmp_path):
    drop = _drop(tmp_path, {"patients.csv": _patients(10), "labs.csv": LABS_HEADER + _hb_rows(10, 2)})
    seen = _validate(drop, tmp_path)
    assert seen.code == 4, seen.err
    last = seen.err.splitlines()[-1]
    assert last.startswith(
        "cohortscan: error: table stg_labs: check hemoglobin_in_plausible_range failed: 2 of 10 rows "
        "(first: labs.csv line "
    ), last
    assert "); 20 % of rows, over the 5 % limit; see " in last


# --- Data Docs that cannot draw a part ------------------------------------------------------------


def test_a_data_docs_renderer_error_is_one_warning_line_and_no_traceback(tmp_path, monkeypatch):
    """GX catches its renderers' errors and logs them with their traceback; the scan says
    each once in one line and the page is built without the part."""
    from great_expectations.render.renderer import page_renderer

    def broken(self, *args, **kwargs):
        raise ValueError(
            "offset must be a timedelta strictly between -timedelta(hours=24) and timedelta(hours=24)."
        )

    monkeypatch.setattr(page_renderer.ValidationResultsPageRenderer, "render", broken)
    drop = _drop(tmp_path, {"patients.csv": _patients(1), "labs.csv": LABS_HEADER + _hb_rows(1, 0)})
    seen = _validate(drop, tmp_path)
    assert seen.code == 0, seen.err
    assert "Traceback" not in seen.err + seen.out
    warnings = [line for line in seen.err.splitlines() if "Data Docs:" in line]
    assert warnings and all("could not be drawn and are left out" in line for line in warnings)
    assert any("ValueError: offset must be a timedelta strictly between" in line for line in warnings)
    assert list((tmp_path / "out" / "_validation").glob("*/data_docs/index.html"))
