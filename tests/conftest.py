"""Shared fixtures: a real in-memory DuckDB warehouse and a small scenario builder.

`scenario` inserts contract rows straight into the raw tables (as ingest would leave
them), then `scenario.evaluate()` stages them and evaluates a trial, returning each
criterion's (status, evidence) for one patient.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines.criteria import evaluate, trials
from pipelines.settings import SQL_DIR
from pipelines.staging import build as staging
from pipelines.warehouse.connect import connect

AS_OF = date(2026, 11, 26)
TRIALS_DIR = SQL_DIR / "trials"


# Test files by cost, most expensive first: each flow test file runs whole scans (a Prefect
# flow, Great Expectations, exports: 10-60 s a scan), integration files scan or open a
# browser, unit files vary, and a tests/sql file costs about 1 s of CPU per test (a trial's
# evaluation). `make test` hands files to pytest-xdist's workers in this order
# (--dist loadfile --no-loadscope-reorder): the long files start first and the short ones
# fill the end, so no worker idles while another finishes a long file. (xdist's default
# order, most tests first, put the flow files, which have few tests, last.)
_FOLDER_ORDER = ("tests/flows/", "tests/integration/", "tests/unit/", "tests/sql/")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Order the test files by `_FOLDER_ORDER`, then tests/sql files by test count (most
    first); the order of the tests within a file is left as written."""
    per_file = Counter(_file_of(item) for item in items)

    def rank(item: pytest.Item) -> tuple[int, int]:
        path = _file_of(item)
        folder = next((i for i, f in enumerate(_FOLDER_ORDER) if path.startswith(f)), len(_FOLDER_ORDER))
        return folder, -per_file[path] if path.startswith("tests/sql/") else 0

    items.sort(key=rank)  # stable: a file's tests stay together and in their order


def _file_of(item: pytest.Item) -> str:
    return item.nodeid.split("::")[0]


@pytest.fixture
def wh() -> Iterator[duckdb.DuckDBPyConnection]:
    """An empty, bootstrapped in-memory warehouse."""
    con = connect(":memory:")
    yield con
    con.close()


@dataclass
class Scenario:
    """Builds raw rows for a few patients and evaluates a trial on them."""

    con: duckdb.DuckDBPyConnection
    _line: itertools.count = field(default_factory=lambda: itertools.count(2))

    def patient(
        self,
        patient_id: str = "P1",
        *,
        sex: str = "F",
        birth_date: str | None = "1980-05-01",
        birth_year: int | None = None,
        site_id: str = "SITE_A",
        death_date: str | None = None,
    ) -> Scenario:
        self.con.execute(
            "insert into raw_patients values (?, ?, ?, ?, ?, ?, 1, ?)",
            [patient_id, sex, birth_date, birth_year, site_id, death_date, next(self._line)],
        )
        return self

    def diagnosis(
        self,
        code: str,
        diagnosis_date: str,
        *,
        patient_id: str = "P1",
        code_system: str = "ICD10CM",
    ) -> Scenario:
        self.con.execute(
            "insert into raw_diagnoses values (?, ?, ?, ?, null, 2, ?)",
            [patient_id, code_system, code, diagnosis_date, next(self._line)],
        )
        return self

    def lab(
        self,
        code: str,
        result_date: str,
        value_num: float | None = None,
        unit: str | None = None,
        *,
        value_text: str | None = None,
        patient_id: str = "P1",
        code_system: str = "LOINC",
        ref_low: float | None = None,
        ref_high: float | None = None,
    ) -> Scenario:
        self.con.execute(
            "insert into raw_labs values (?, ?, ?, ?, ?, ?, ?, ?, ?, 3, ?)",
            [
                patient_id, code_system, code, result_date, value_num, value_text, unit,
                ref_low, ref_high, next(self._line),
            ],
        )  # fmt: skip
        return self

    def medication(
        self,
        code: str,
        start_date: str,
        *,
        code_system: str = "RXNORM",
        end_date: str | None = None,
        dose_value: float | None = None,
        dose_unit: str | None = "mg",
        frequency: str | None = "QD",
        drug_name: str | None = None,
        route: str | None = "oral",
        patient_id: str = "P1",
    ) -> Scenario:
        self.con.execute(
            "insert into raw_medications values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 4, ?)",
            [
                patient_id, code_system, code, drug_name, start_date, end_date, dose_value,
                dose_unit, frequency, route, next(self._line),
            ],
        )  # fmt: skip
        return self

    def procedure(
        self,
        code: str,
        procedure_date: str,
        *,
        code_system: str = "CPT4",
        patient_id: str = "P1",
    ) -> Scenario:
        self.con.execute(
            "insert into raw_procedures values (?, ?, ?, ?, 5, ?)",
            [patient_id, code_system, code, procedure_date, next(self._line)],
        )
        return self

    def evaluate(
        self,
        trial_id: str = "cart_autoimmune",
        as_of: date = AS_OF,
        overrides: dict | None = None,
        patient_id: str = "P1",
        trials_dir: Path = TRIALS_DIR,
    ) -> dict[str, tuple[str, str]]:
        """Stage, evaluate, and return {criterion_id: (status, evidence)} for one patient."""
        staging.build_staging(self.con)
        trial = trials.load_trial(trials_dir, trial_id)
        evaluate.evaluate_trial(self.con, trial, as_of, overrides)
        rows = self.con.execute(
            f'select criterion_id, status, evidence from "{trial_id}".criteria_results where patient_id = ?',
            [patient_id],
        ).fetchall()
        return {r[0]: (r[1], r[2]) for r in rows}

    def eligibility(self, trial_id: str = "cart_autoimmune", patient_id: str = "P1") -> tuple:
        return self.con.execute(
            f'select status, reason, score from "{trial_id}".cohort_eligibility where patient_id = ?',
            [patient_id],
        ).fetchall()[0]


@pytest.fixture
def scenario(wh: duckdb.DuckDBPyConnection) -> Scenario:
    """A scenario builder on an empty in-memory warehouse."""
    return Scenario(wh)
