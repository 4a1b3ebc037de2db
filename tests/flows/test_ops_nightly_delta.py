"""A night's delta through the scan flow: only its patients are staged and checked again,
and `--full` stages the same tables from every row.

Three scans into one warehouse: a first drop (staged in full), a night's folder of new
files (a new patient, a changed birth date, a lab delivered again: staged as a delta),
then the same night again with `full` (nothing reused, every patient staged).
"""

from __future__ import annotations

import pytest

from pipelines.run.flows import scan_flow
from pipelines.settings import SQL_DIR
from pipelines.staging.build import STAGED_DATA_TABLES
from pipelines.warehouse.connect import open_warehouse
from tests.flows.ops_drop import AS_OF, Rows, make_rows, write_drop

pytestmark = pytest.mark.slow

TRIAL = "cart_autoimmune"


def _state(warehouse) -> dict:
    with open_warehouse(warehouse, read_only=True) as con:
        mode, reason = con.execute("select mode, reason from staging_state").fetchone()
        return {
            "mode": mode,
            "reason": reason,
            "patients": sorted(r[0] for r in con.execute("select patient_id from staging_delta").fetchall()),
            "tables": {
                t: con.execute(f"select * from {t} order by all").fetchall() for t in STAGED_DATA_TABLES
            },
            "checked": dict(
                con.execute(
                    "select run_id, element_count from dq_results "
                    "where table_name = 'stg_patients' and check_name = 'sex_is_normalised'"
                ).fetchall()
            ),
        }


@pytest.fixture(scope="module")
def nights(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("nightly")
    first = make_rows(40, seed=51)
    new = make_rows(3, seed=51, first=40)
    changed = [[*first.patients[0][:2], "1950-06-06", *first.patients[0][3:]]]
    night = Rows(changed + new.patients, new.diagnoses, [first.labs[12], *new.labs], new.medications)
    args = dict(
        warehouse=root / "wh.duckdb",
        out=root / "exports",
        trials_dir=SQL_DIR / "trials",
        trial_ids=[TRIAL],
        as_of=AS_OF,
    )
    runs = [scan_flow(extracts=write_drop(root / "drop", first), **args)["run_id"]]
    states = [_state(root / "wh.duckdb")]
    night_drop = write_drop(root / "night", night, suffix="-night")
    runs.append(scan_flow(extracts=night_drop, **args)["run_id"])
    states.append(_state(root / "wh.duckdb"))
    runs.append(scan_flow(extracts=night_drop, full=True, **args)["run_id"])
    states.append(_state(root / "wh.duckdb"))
    touched = sorted([first.patients[0][0], first.labs[12][0], *(p[0] for p in new.patients)])
    return {"runs": runs, "states": states, "touched": touched}


def test_a_night_of_new_files_stages_and_checks_only_its_patients(nights) -> None:
    first, night, _full = nights["states"]
    run = nights["runs"][1]
    assert first["mode"] == "full"
    assert (night["mode"], night["patients"]) == ("delta", nights["touched"])
    assert night["checked"][run] == len(nights["touched"])  # stg_patients rows of those patients


def test_full_stages_every_patient_into_the_same_tables(nights) -> None:
    _first, night, full = nights["states"]
    run = nights["runs"][2]
    assert (full["mode"], full["patients"]) == ("full", [])
    assert "--full" in full["reason"]
    assert full["checked"][run] == 43
    assert full["tables"] == night["tables"]
