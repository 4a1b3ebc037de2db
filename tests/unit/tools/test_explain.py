"""`cohortscan explain`: every criterion of one patient with its status and evidence."""

from datetime import date

import pytest

from pipelines.cli import main
from pipelines.criteria import evaluate, trials
from pipelines.errors import NotFound
from pipelines.ingest import load as ingest
from pipelines.screening import events
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


def test_explain_shows_a_decision_recorded_since_the_last_scan_at_once(tmp_path):
    """A coordinator's criterion decision is applied by explain without waiting for the
    next scan (re-evaluated in a rolled-back transaction, and said so); the stored
    evaluation is left as the scan made it."""
    path = tmp_path / "wh.duckdb"
    trial = trials.load_trial(SQL_DIR / "trials", "cart_autoimmune")
    with open_warehouse(path) as con:
        ingest.ingest_drop(con, PROJECT_ROOT / "data" / "sample", "run1")
        staging.build_staging(con)
        evaluate.evaluate_trial(con, trial, AS_OF)
    settings = Settings(warehouse=path, trials=["cart_autoimmune"], as_of=AS_OF)
    before = explain_patient(settings, "P00013")
    assert "re-evaluated now" not in before
    with open_warehouse(path) as con:
        events.record_one(
            con,
            trial,
            events.Event(
                trial.id, "P00013", "jdoe", AS_OF, criterion_id="inc_apheresis", decision="met",
                reason="chart_review",
            ),
        )  # fmt: skip
    after = explain_patient(settings, "P00013")
    apheresis = next(line for line in after.splitlines() if line.strip().startswith("inc_apheresis"))
    assert " met " in apheresis and "jdoe" in apheresis, apheresis
    assert "re-evaluated now" in after
    with open_warehouse(path) as con:
        stored = con.execute(
            "select status_source from cart_autoimmune.criteria_results "
            "where patient_id = 'P00013' and criterion_id = 'inc_apheresis'"
        ).fetchone()
    assert stored == ("data",)
