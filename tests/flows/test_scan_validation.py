"""The data-quality gate inside the scan flow, under Prefect's test harness.

A drop with planted faults (a haemoglobin of 9000 g/L, an unknown unit for a LOINC code,
a lab dated after the as-of date, an orphan patient, a required column empty in every
record) is caught check by check in run.json and the Data Docs; the `error` checks stop
the run with one line and the previous exports stay as they were. A clean drop passes
and its Data Docs go into the export folder.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines.errors import ValidationFailed
from pipelines.run.flows import scan_flow
from pipelines.settings import SQL_DIR

AS_OF = date(2026, 11, 26)

pytestmark = pytest.mark.slow

PATIENTS = """patient_id,sex,birth_date,site_id
P1,F,1980-05-01,SITE_A
P2,M,1975-03-02,SITE_B
"""
CLEAN_LABS = """patient_id,code_system,code,result_date,value_num,unit
P1,LOINC,718-7,2026-11-01,128,g/L
P2,LOINC,718-7,2026-11-02,13.1,g/dL
"""
PLANTED_LABS = """patient_id,code_system,code,result_date,value_num,unit
P1,LOINC,718-7,2026-11-01,9000,g/L
P1,LOINC,718-7,2026-11-02,12.5,gr/dl
P2,LOINC,718-7,2026-12-10,130,g/L
P9,LOINC,718-7,2026-11-03,131,g/L
"""
EMPTY_CODE_DIAGNOSES = """patient_id,code_system,code,diagnosis_date
P1,ICD10CM,,2024-01-01
P2,ICD10CM,,2023-06-01
"""


def _drop(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _scan(root: Path, drop: Path) -> dict:
    return scan_flow(
        extracts=drop,
        warehouse=root / "wh.duckdb",
        out=root / "exports",
        trials_dir=SQL_DIR / "trials",
        trial_ids=["cart_autoimmune"],
        as_of=AS_OF,
    )


@pytest.fixture(scope="module")
def failed(tmp_path_factory) -> dict:
    """A clean scan, then a scan of a drop with planted faults on the same warehouse."""
    root = tmp_path_factory.mktemp("gate")
    first = _scan(root, _drop(root / "clean", {"patients.csv": PATIENTS, "labs.csv": CLEAN_LABS}))
    folder = Path(first["folders"]["cart_autoimmune"])
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    planted = _drop(
        root / "planted", {"labs_planted.csv": PLANTED_LABS, "diagnoses.csv": EMPTY_CODE_DIAGNOSES}
    )
    with pytest.raises(ValidationFailed) as raised:
        _scan(root, planted)
    failed_runs = list((root / "exports" / "_failed").iterdir())
    return {
        "root": root,
        "first": first,
        "folder": folder,
        "before": before,
        "error": raised.value,
        "evidence": failed_runs,
        "run_json": json.loads((failed_runs[0] / "run.json").read_text()),
    }


def test_a_clean_drop_passes_and_its_data_docs_go_with_the_exports(failed) -> None:
    folder = failed["folder"]
    run_json = json.loads((folder / "run.json").read_text())
    assert run_json["validation"]["status"] in ("passed", "warnings")
    assert run_json["validation"]["checks_failed_error"] == 0
    assert (folder / "data_docs" / "index.html").is_file()
    assert failed["first"]["validation"]["status"] == run_json["validation"]["status"]


def test_error_checks_stop_the_run_with_one_line_naming_table_and_check(failed) -> None:
    message = str(failed["error"])
    assert "\n" not in message
    assert message.startswith(
        "table quarantine: check required_column_empty failed: 2 rows "
        "(first: diagnoses.csv line 2, column code)"
    )
    assert "1 more error check(s) failed" in message
    assert failed["error"].exit_code == 4


def test_a_failed_validation_replaces_no_export(failed) -> None:
    folder = failed["folder"]
    after = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    assert after == failed["before"]
    assert sorted(p.name for p in (failed["root"] / "exports").iterdir()) == ["_failed", "cart_autoimmune"]


@pytest.mark.parametrize(
    ("table", "check", "severity", "count"),
    [
        pytest.param("stg_labs", "hemoglobin_in_plausible_range", "error", 1, id="hb-9000"),
        pytest.param("stg_labs", "unit_known_for_code", "warning", 1, id="unknown-unit"),
        pytest.param("stg_labs", "result_date_not_after_as_of", "warning", 1, id="after-as-of"),
        pytest.param("stg_labs", "orphan_labs", "warning", 1, id="orphan-patient"),
        pytest.param("quarantine", "required_column_empty", "error", 2, id="empty-required-column"),
    ],
)
def test_each_planted_fault_is_caught_with_its_count_in_run_json(
    failed, table, check, severity, count
) -> None:
    validation = failed["run_json"]["validation"]
    assert validation["status"] == "failed"
    result = next(c for c in validation["checks"] if (c["table"], c["check"]) == (table, check))
    assert (result["status"], result["severity"], result["unexpected_count"]) == ("failed", severity, count)


def test_the_failed_run_keeps_its_data_docs_and_records_every_check(failed) -> None:
    (evidence,) = failed["evidence"]
    run_id = failed["run_json"]["run_id"]
    assert evidence.name == run_id
    docs = evidence / "data_docs"
    assert (docs / "index.html").is_file()
    pages = "".join(p.read_text(encoding="utf-8") for p in (docs / "validations").rglob("*.html"))
    assert "9000.0" in pages and "gr/dl" not in failed["error"].args[0]
    con = duckdb.connect(str(failed["root"] / "wh.duckdb"), read_only=True)
    try:
        recorded = con.execute(
            "select count(*), count(*) filter (where status = 'failed') from dq_results where run_id = ?",
            [run_id],
        ).fetchone()
        status = con.execute("select status from runs where run_id = ?", [run_id]).fetchone()[0]
    finally:
        con.close()
    assert recorded[0] == len(failed["run_json"]["validation"]["checks"])
    assert recorded[1] >= 5
    assert status == "failed"
    assert not list((failed["root"] / "exports").glob(".dq-*"))
