"""The curated sample delivered as FHIR R4 ndjson gives the contract form's criteria.

`sample_drops.fhir` renders data/sample (contract CSV and parquet) as FHIR resources;
both drops are scanned by the same flow and every trial's criteria.parquet (every patient x
every criterion: status, evidence, evidence date) and criteria.csv must be the same.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines.run.flows import scan_flow
from pipelines.settings import PROJECT_ROOT, SQL_DIR
from sample_drops import fhir as render_fhir

SAMPLE = PROJECT_ROOT / "data" / "sample"
AS_OF = date(2026, 11, 26)
TRIALS = ("cart_autoimmune", "lupus_nephritis")

pytestmark = pytest.mark.slow


def _scan(extracts: Path, root: Path) -> dict:
    return scan_flow(
        extracts=extracts,
        warehouse=root / "wh.duckdb",
        out=root / "exports",
        trials_dir=SQL_DIR / "trials",
        trial_ids=None,
        as_of=AS_OF,
    )


@pytest.fixture(scope="module")
def scans(tmp_path_factory, contract_sample_scan) -> dict[str, dict]:
    """The FHIR form scanned here (every trial found); the contract form is the session's
    one scan of the sample (tests/flows/conftest.py: every trial found, the same as-of)."""
    drop = tmp_path_factory.mktemp("fhir-drop")
    render_fhir.render(SAMPLE, drop)
    fhir = _scan(drop, tmp_path_factory.mktemp("fhir"))
    return {"contract": contract_sample_scan(), "fhir": fhir}


def _criteria(folder: str) -> list[dict]:
    """Every row of criteria.parquet (every patient x criterion; criteria.csv holds only the
    candidates' rows), in file order, each value as text ('' for none) as the CSV gives it."""
    relation = duckdb.sql(f"select * from read_parquet('{Path(folder) / 'criteria.parquet'}')")
    return [
        {c: "" if v is None else str(v) for c, v in zip(relation.columns, row, strict=True)}
        for row in relation.fetchall()
    ]


@pytest.mark.parametrize("trial", TRIALS)
def test_fhir_sample_gives_the_contract_samples_criteria(scans: dict[str, dict], trial: str) -> None:
    contract = _criteria(scans["contract"]["folders"][trial])
    fhir = _criteria(scans["fhir"]["folders"][trial])
    assert len(contract) > 1000
    assert fhir == contract
    fhir_csv, contract_csv = (
        (Path(scans[form]["folders"][trial]) / "criteria.csv").read_bytes() for form in ("fhir", "contract")
    )
    assert fhir_csv == contract_csv
