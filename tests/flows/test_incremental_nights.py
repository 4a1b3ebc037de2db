"""A second night evaluates the criteria incrementally; `--full` evaluates them all.

Night 1 scans the sample (as of 2026-11-26): nothing stored, a full evaluation. Night 2
brings one labs file (an eGFR for P00076) and screens a day later: run.json says
`incremental`, with P00076 among the patients with new rows and far fewer results
evaluated than a full evaluation's. Night 3 is night 2's drop and date again with
`full=True` (`cohortscan scan --full`): run.json says `full` ('--full') and its criteria
are those of night 2.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines.run.flows import scan_flow
from pipelines.settings import PROJECT_ROOT, SQL_DIR

SAMPLE = PROJECT_ROOT / "data" / "sample"
TRIALS = ("cart_autoimmune", "lupus_nephritis")

pytestmark = pytest.mark.slow


def _scan(root: Path, as_of: date, full: bool | None = None) -> dict[str, Path]:
    summary = scan_flow(
        extracts=root / "drop",
        warehouse=root / "wh.duckdb",
        out=root / "exports",
        trials_dir=SQL_DIR / "trials",
        trial_ids=list(TRIALS),
        as_of=as_of,
        full=full,
    )
    return {t: Path(summary["folders"][t]) for t in TRIALS}


def _criteria(folder: Path) -> list[tuple]:
    return duckdb.sql(f"select * from read_parquet('{folder / 'criteria.parquet'}') order by all").fetchall()


def test_second_night_is_incremental_and_full_is_not(tmp_path):
    shutil.copytree(SAMPLE, tmp_path / "drop", ignore=shutil.ignore_patterns("expected", "README.md"))
    night1 = _scan(tmp_path, date(2026, 11, 26))
    run1 = json.loads((night1["cart_autoimmune"] / "run.json").read_text())
    first = run1["evaluation"]
    assert (first["mode"], first["reason"]) == ("full", "no complete stored evaluation")
    assert first["criteria_without_changes_on"] == []

    (tmp_path / "drop" / "labs-2026-11-27.csv").write_text(
        "patient_id,code_system,code,result_date,value_num,value_text,unit,ref_low,ref_high\n"
        "P00076,LOINC,62238-1,2026-11-27,45,,mL/min/1.73m2,,\n"
    )
    night2 = _scan(tmp_path, date(2026, 11, 27))
    for trial_id in TRIALS:
        how = json.loads((night2[trial_id] / "run.json").read_text())["evaluation"]
        assert how["mode"] == "incremental", how
        assert how["reason"] == "as of 2026-11-26 -> 2026-11-27"
        assert how["patients_new_data"] == 1
        assert 0 < how["rows_reevaluated"] < how["rows_total"] / 2
    renal = [r for r in _criteria(night2["cart_autoimmune"]) if r[0] == "P00076" and r[1] == "inc_renal"]
    assert renal[0][3:5] == ("met", "eGFR 45 mL/min/1.73m2 on 2026-11-27 >= 30 mL/min/1.73m2")

    incremental = {t: _criteria(f) for t, f in night2.items()}
    night3 = _scan(tmp_path, date(2026, 11, 27), full=True)
    for trial_id in TRIALS:
        how = json.loads((night3[trial_id] / "run.json").read_text())["evaluation"]
        assert (how["mode"], how["reason"]) == ("full", "--full")
        assert _criteria(night3[trial_id]) == incremental[trial_id]
