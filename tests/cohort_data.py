"""A cohort of a few dozen patients over three sites, evaluated on the frozen mini trial.

Used by the tests of the feasibility report, what-if and changes.csv. Each patient is
of one kind: `eligible` (SLE, recent eGFR 80), `potential` (SLE, no eGFR),
`low_egfr` (SLE, eGFR 20: ineligible at the default egfr_min 30, eligible at 15),
`no_disease` (ineligible at inc_diagnosis) or `deceased`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path

import duckdb

from pipelines.criteria import evaluate, trials
from pipelines.staging import build as staging

AS_OF = date(2026, 11, 26)
TRIALS_DIR = Path(__file__).parent / "fixtures" / "trials"
TRIAL_ID = "mini_trial"
SLE = "M32.14"
EGFR = "98979-8"

# site -> kind -> number of patients
LAYOUT: dict[str, dict[str, int]] = {
    "SITE_A": {"eligible": 30, "potential": 12, "low_egfr": 3, "no_disease": 15, "deceased": 1},
    "SITE_B": {"eligible": 14, "potential": 2, "no_disease": 20},
    "SITE_C": {"eligible": 5, "potential": 1, "no_disease": 12, "deceased": 2},
}


def mini_trial() -> trials.Trial:
    return trials.load_trial(TRIALS_DIR, TRIAL_ID)


def add_patient(con: duckdb.DuckDBPyConnection, patient_id: str, site: str, kind: str, line: int) -> None:
    """Raw rows for one patient of `kind` (as ingest would leave them)."""
    death = "2026-01-01" if kind == "deceased" else None
    con.execute(
        "insert into raw_patients values (?, 'F', '1980-05-01', null, ?, ?, 1, ?)",
        [patient_id, site, death, line],
    )
    if kind != "no_disease":
        con.execute(
            "insert into raw_diagnoses values (?, 'ICD10CM', ?, '2020-01-01', null, 2, ?)",
            [patient_id, SLE, line],
        )
    egfr = {"eligible": 80.0, "low_egfr": 20.0, "deceased": 80.0}.get(kind)
    if egfr is not None:
        con.execute(
            "insert into raw_labs values (?, 'LOINC', ?, '2026-11-01', ?, null, 'mL/min/1.73m2', "
            "null, null, 3, ?)",
            [patient_id, EGFR, egfr, line],
        )


def build(con: duckdb.DuckDBPyConnection, layout: Mapping[str, Mapping[str, int]] = LAYOUT) -> None:
    """Insert every patient of `layout` and stage them."""
    line = 2
    for site, kinds in layout.items():
        for kind, count in kinds.items():
            for i in range(count):
                add_patient(con, f"{site}-{kind}-{i:02d}", site, kind, line)
                line += 1
    staging.build_staging(con)


def evaluate_mini(
    con: duckdb.DuckDBPyConnection, overrides: Mapping[str, float] | None = None, as_of: date = AS_OF
) -> trials.Trial:
    """Evaluate the mini trial on the staged rows; return it."""
    trial = mini_trial()
    evaluate.evaluate_trial(con, trial, as_of, overrides)
    return trial
