"""The curated sample delivered as contract files and as an OMOP CDM (rendered by
sample_drops.omop) gives identical criteria.csv for every trial. The FHIR leg joins here
when the FHIR reader lands."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipelines.run.flows import scan_flow
from pipelines.settings import PROJECT_ROOT, SQL_DIR
from sample_drops import omop as render_omop

SAMPLE = PROJECT_ROOT / "data" / "sample"
AS_OF = date(2026, 11, 26)
TRIALS = ("cart_autoimmune", "lupus_nephritis")

pytestmark = pytest.mark.slow


def _scan(root: Path, drop: Path, extracts_format: str | None) -> dict[str, bytes]:
    summary = scan_flow(
        extracts=drop,
        warehouse=root / "wh.duckdb",
        out=root / "exports",
        trials_dir=SQL_DIR / "trials",
        trial_ids=list(TRIALS),
        as_of=AS_OF,
        extracts_format=extracts_format,
    )
    return {t: (Path(summary["folders"][t]) / "criteria.csv").read_bytes() for t in TRIALS}


@pytest.fixture(scope="module")
def criteria(tmp_path_factory) -> dict[str, dict[str, bytes]]:
    root = tmp_path_factory.mktemp("forms")
    omop_drop = root / "omop-drop"
    render_omop.render(SAMPLE, omop_drop)
    return {
        "contract": _scan(root / "contract", SAMPLE, None),
        "omop": _scan(root / "omop", omop_drop, None),  # the form is told from the files
    }


@pytest.mark.parametrize("trial_id", TRIALS)
def test_the_sample_as_omop_gives_the_criteria_of_the_sample_as_contract_files(criteria, trial_id):
    contract = criteria["contract"][trial_id].decode().splitlines()
    omop = criteria["omop"][trial_id].decode().splitlines()
    assert len(contract) > 1000
    assert [line for line in omop if line not in set(contract)] == []
    assert omop == contract
