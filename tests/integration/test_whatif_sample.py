"""With the sample drop: `whatif --set inc_renal.egfr_min=15` adds the eGFR-29.9 patient.

End to end without Prefect: the sample is ingested and staged into a temporary
warehouse, cart_autoimmune evaluated at the sample's as-of date, then the what-if runs
as the CLI runs it. P00073 (data/sample/README.md: eGFR 29.9, inc_renal not_met at 30)
is the documented edge case that a threshold of 15 turns into a candidate.
"""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.criteria import evaluate, trials
from pipelines.ingest import load as ingest
from pipelines.settings import PROJECT_ROOT, SQL_DIR
from pipelines.staging import build as staging
from pipelines.tools import whatif
from pipelines.warehouse.connect import connect

SAMPLE = PROJECT_ROOT / "data" / "sample"
AS_OF = date(2026, 11, 26)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    """The sample drop ingested, staged and evaluated; an (empty) export folder beside it."""
    root = tmp_path_factory.mktemp("sample")
    warehouse = root / "wh.duckdb"
    con = connect(warehouse)
    ingest.ingest_drop(con, SAMPLE, "R-sample")
    staging.build_staging(con)
    evaluate.evaluate_trial(con, trials.load_trial(SQL_DIR / "trials", "cart_autoimmune"), AS_OF)
    con.close()
    out = root / "out"
    (out / "cart_autoimmune" / AS_OF.isoformat()).mkdir(parents=True)
    return warehouse, out


def test_whatif_lower_egfr_threshold_shows_the_patients_it_adds(sample_run):
    warehouse, out = sample_run
    result = whatif.run_whatif(
        warehouse, SQL_DIR / "trials", out, "cart_autoimmune", ["inc_renal.egfr_min=15"]
    )
    added = {p["patient_id"]: p for p in result["patients"] if p["change"] == "new_candidate"}
    assert "P00073" in added
    assert "inc_renal: not_met -> met" in added["P00073"]["changed_criteria"]
    assert all(p["change"] != "dropped_candidate" for p in result["patients"])
    renal = next(r for r in result["funnel"] if r["step"] == "inc_renal")
    assert renal["whatif_removed"] < renal["baseline_removed"]
    text = whatif.format_result(result)
    assert f"patients added ({len(added)}):" in text and "P00073" in text
