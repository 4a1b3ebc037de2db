"""`cohortscan explain`: every criterion of one patient with its status and evidence."""

from datetime import date

import pytest

from pipelines.cli import main
from pipelines.criteria import evaluate, trials
from pipelines.errors import NotFound
from pipelines.ingest import load as ingest
from pipelines.settings import PROJECT_ROOT, SQL_DIR, Settings
from pipelines.staging import build as staging
from pipelines.tools.explain import explain_patient
from pipelines.warehouse.connect import open_warehouse

AS_OF = date(2026, 11, 26)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """The sample drop ingested, staged and evaluated with the plain functions (no Prefect)."""
    path = tmp_path_factory.mktemp("explain") / "wh.duckdb"
    with open_warehouse(path) as con:
        ingest.ingest_drop(con, PROJECT_ROOT / "data" / "sample", "run1")
        staging.build_staging(con)
        trial = trials.load_trial(SQL_DIR / "trials", "cart_autoimmune")
        evaluate.evaluate_trial(con, trial, AS_OF)
    return path


def test_explain_lists_every_criterion_of_the_trial_with_evidence(warehouse):
    settings = Settings(warehouse=warehouse, trials=["cart_autoimmune"], as_of=AS_OF)
    text = explain_patient(settings, "P00001")
    trial = trials.load_trial(SQL_DIR / "trials", "cart_autoimmune")
    assert text.splitlines()[0].startswith("cart_autoimmune as of 2026-11-26: patient P00001")
    for criterion in trial.criteria:
        assert f"  {criterion.id} " in text, criterion.id


def test_explain_with_another_as_of_reevaluates_without_changing_the_warehouse(warehouse):
    later = Settings(warehouse=warehouse, trials=["cart_autoimmune"], as_of=date(2027, 11, 26))
    text = explain_patient(later, "P00001", as_of_given=True)
    assert "as of 2027-11-26" in text
    assert "no Hb result within 90 days before 2027-11-26" in text
    stored = Settings(warehouse=warehouse, trials=["cart_autoimmune"], as_of=AS_OF)
    assert "as of 2026-11-26" in explain_patient(stored, "P00001")


def test_explain_unknown_patient_is_a_one_line_error(warehouse):
    with pytest.raises(NotFound, match="patient 'NOPE' is not in the warehouse"):
        explain_patient(Settings(warehouse=warehouse), "NOPE")


def test_cli_explain_exit_status_and_one_line_error(warehouse, capsys):
    assert main(["explain", "NOPE", "--warehouse", str(warehouse)]) == NotFound.exit_code
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("cohortscan: error: patient 'NOPE'")
