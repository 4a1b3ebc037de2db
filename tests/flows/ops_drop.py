"""Deterministic drops in the extract contract for the operations tests.

Codes come from the project's own value sets and reference data (never typed here).
Patient ids (`OPS-<seed>-<n>`), birth dates (1941-2004) and lab values (two decimals,
at least 10) are distinctive, so the logs test can look for them in every log line.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from pipelines.settings import SQL_DIR

AS_OF = date(2026, 11, 26)
HEADERS = {
    "patients": ["patient_id", "sex", "birth_date", "birth_year", "site_id", "death_date"],
    "diagnoses": ["patient_id", "code_system", "code", "diagnosis_date", "source"],
    "labs": [
        "patient_id",
        "code_system",
        "code",
        "result_date",
        "value_num",
        "value_text",
        "unit",
        "ref_low",
        "ref_high",
    ],
    "medications": [
        "patient_id",
        "code_system",
        "code",
        "drug_name",
        "start_date",
        "end_date",
        "dose_value",
        "dose_unit",
        "frequency",
        "route",
    ],
}
LAB_RANGES = {"hemoglobin": (40, 170), "platelets": (10, 450), "egfr": (15, 125)}


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _catalog() -> tuple[list[dict], list[dict], list[dict]]:
    """Diagnosis, lab and drug codes from the value sets and reference data."""
    diagnoses = [
        row
        for path in sorted((SQL_DIR / "trials" / "cart_autoimmune" / "valuesets").glob("*.csv"))
        for row in _read(path)
        if row["code_system"] in ("ICD10CM", "SNOMEDCT") and row.get("match", "exact") in ("", "exact")
    ]
    labs = []
    for measure in LAB_RANGES:
        rows = [r for r in _read(SQL_DIR / "shared" / "data" / "measures.csv") if r["measure"] == measure]
        labs.append(rows[0])
    drugs = [r for r in _read(SQL_DIR / "shared" / "data" / "drug_ingredients.csv")][:6]
    return diagnoses, labs, drugs


@dataclass
class Rows:
    """The rows of one drop, per kind, in the contract's column order."""

    patients: list[list[str]]
    diagnoses: list[list[str]]
    labs: list[list[str]]
    medications: list[list[str]]

    def of(self, kind: str) -> list[list[str]]:
        return getattr(self, kind)


def make_rows(patients: int, seed: int = 7, labs_per_patient: int = 12, first: int = 0) -> Rows:
    """Random but reproducible rows for patients `first` .. `first + patients - 1`."""
    rng = random.Random(seed * 1_000_003 + first)
    dx_codes, lab_codes, drugs = _catalog()
    out = Rows([], [], [], [])
    for n in range(first, first + patients):
        pid = f"OPS-{seed}-{n:06d}"
        birth = date(1941, 1, 1) + timedelta(days=rng.randrange(0, 64 * 365))
        death = (AS_OF - timedelta(days=rng.randrange(1, 400))).isoformat() if rng.random() < 0.02 else ""
        out.patients.append(
            [pid, rng.choice("FM"), birth.isoformat(), "", f"SITE_{rng.randrange(1, 4)}", death]
        )
        for _ in range(rng.randrange(0, 3)):
            dx = rng.choice(dx_codes)
            day = AS_OF - timedelta(days=rng.randrange(30, 3000))
            out.diagnoses.append([pid, dx["code_system"], dx["code"], day.isoformat(), "encounter"])
        for _ in range(labs_per_patient):
            lab = rng.choice(lab_codes)
            low, high = LAB_RANGES[lab["measure"]]
            value = f"{rng.uniform(low, high):.2f}"
            day = AS_OF - timedelta(days=rng.randrange(1, 120))
            out.labs.append(
                [
                    pid,
                    lab["code_system"],
                    lab["code"],
                    day.isoformat(),
                    value,
                    "",
                    lab["canonical_unit"],
                    "",
                    "",
                ]
            )
        for _ in range(rng.randrange(0, 3)):
            drug = rng.choice(drugs)
            start = AS_OF - timedelta(days=rng.randrange(100, 900))
            out.medications.append(
                [
                    pid,
                    drug["code_system"],
                    drug["code"],
                    drug["display"],
                    start.isoformat(),
                    (start + timedelta(days=rng.randrange(95, 400))).isoformat(),
                    str(rng.choice([5, 10, 20, 500])),
                    "mg",
                    "QD",
                    "oral",
                ]
            )
    return out


def write_csv(path: Path, kind: str, rows: list[list[str]], *, quote_all: bool = False) -> Path:
    """One contract file of `kind` holding `rows` (`quote_all`: other bytes, same content)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
        writer.writerow(HEADERS[kind])
        writer.writerows(rows)
    return path


def write_drop(folder: Path, rows: Rows, lab_files: int = 1, suffix: str = "") -> Path:
    """A drop folder: one file per kind, labs split into `lab_files` files."""
    for kind in ("patients", "diagnoses", "medications"):
        write_csv(folder / f"{kind}{suffix}.csv", kind, rows.of(kind))
    size = -(-len(rows.labs) // lab_files)
    for part in range(lab_files):
        chunk = rows.labs[part * size : (part + 1) * size]
        write_csv(folder / f"labs{suffix}-{part + 1:02d}.csv", "labs", chunk)
    return folder
