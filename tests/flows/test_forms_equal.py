"""The curated sample delivered as contract files and as an OMOP CDM (rendered by
sample_drops.omop) gives identical criteria.csv and criteria.parquet for every trial. The FHIR leg joins here
when the FHIR reader lands."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines.run.flows import scan_flow
from pipelines.settings import PROJECT_ROOT, SQL_DIR
from sample_drops import omop as render_omop

SAMPLE = PROJECT_ROOT / "data" / "sample"
AS_OF = date(2026, 11, 26)
TRIALS = ("cart_autoimmune", "lupus_nephritis")

pytestmark = pytest.mark.slow


def _scan(root: Path, drop: Path, extracts_format: str | None) -> dict[str, tuple]:
    summary = scan_flow(
        extracts=drop,
        warehouse=root / "wh.duckdb",
        out=root / "exports",
        trials_dir=SQL_DIR / "trials",
        trial_ids=list(TRIALS),
        as_of=AS_OF,
        extracts_format=extracts_format,
    )
    return _read({t: Path(summary["folders"][t]) for t in TRIALS})


def _read(folders: dict[str, Path]) -> dict[str, tuple]:
    return {
        t: (
            (folder / "criteria.csv").read_bytes(),
            # every patient x criterion (criteria.csv holds the candidates' rows only)
            duckdb.sql(
                f"select * from read_parquet('{folder / 'criteria.parquet'}') order by all"
            ).fetchall(),
        )
        for t, folder in folders.items()
    }


@pytest.fixture(scope="module")
def criteria(tmp_path_factory, contract_sample_scan) -> dict[str, dict[str, tuple]]:
    """The OMOP form scanned here; the contract form is the session's one scan of the sample
    (tests/flows/conftest.py: every trial found, the same as-of; shared with other modules)."""
    root = tmp_path_factory.mktemp("forms")
    omop_drop = root / "omop-drop"
    render_omop.render(SAMPLE, omop_drop)
    omop = _scan(root / "omop", omop_drop, None)  # the form is told from the files
    contract = {t: Path(contract_sample_scan()["folders"][t]) for t in TRIALS}
    return {"contract": _read(contract), "omop": omop}


@pytest.mark.parametrize("trial_id", TRIALS)
def test_the_sample_as_omop_gives_the_criteria_of_the_sample_as_contract_files(criteria, trial_id):
    (contract_csv, contract), (omop_csv, omop) = criteria["contract"][trial_id], criteria["omop"][trial_id]
    assert len(contract) > 1000
    assert [row for row in omop if row not in set(contract)] == []
    assert omop == contract
    assert omop_csv == contract_csv
