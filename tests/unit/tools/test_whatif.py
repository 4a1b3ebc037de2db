"""`cohortscan whatif`: changed parameters re-evaluated from the warehouse, rolled back."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from pipelines.cli import main
from pipelines.errors import NotFound, ParameterError
from pipelines.tools import whatif
from pipelines.warehouse.connect import connect
from tests import cohort_data

LAYOUT = {"SITE_A": {"eligible": 3, "potential": 2, "low_egfr": 2, "no_disease": 1}}
VALID = "valid names: inc_age.min_age_years (18), inc_renal.egfr_min (30), inc_renal.window_days (90)"


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        pytest.param(
            "inc_renal.egfr=15", "unknown parameter 'inc_renal.egfr' for trial mini_trial; ", id="unknown"
        ),
        pytest.param(
            "inc_renal.egfr_min=abc", "inc_renal.egfr_min='abc' is not a number; ", id="not-a-number"
        ),
        pytest.param(
            "inc_renal.window_days=1.5",
            "inc_renal.window_days='1.5' must be a whole number of days >= 0; ",
            id="fractional-days",
        ),
        pytest.param("inc_renal.window_days=-1", "must be a whole number of days >= 0; ", id="negative-days"),
        pytest.param("egfr", "--set 'egfr' is not CRITERION.PARAM=VALUE; ", id="no-equals"),
        pytest.param("inc_renal.egfr_min=", "is not CRITERION.PARAM=VALUE; ", id="no-value"),
    ],
)
def test_bad_set_is_one_line_listing_the_valid_names(assignment, message):
    with pytest.raises(ParameterError) as err:
        whatif.parse_assignments(cohort_data.mini_trial(), [assignment])
    text = str(err.value)
    assert message in text
    assert text.endswith(VALID)
    assert "\n" not in text


def test_parameter_given_twice_is_refused():
    with pytest.raises(ParameterError, match="given twice"):
        whatif.parse_assignments(cohort_data.mini_trial(), ["inc_renal.egfr_min=15", "inc_renal.egfr_min=20"])


def test_values_are_typed_by_the_parameters_default():
    values = whatif.parse_assignments(
        cohort_data.mini_trial(), ["inc_renal.egfr_min=15", "inc_renal.window_days=180"]
    )
    assert values == {"inc_renal.egfr_min": 15.0, "inc_renal.window_days": 180.0}
    assert whatif.default_name(values) == "inc_renal.egfr_min=15+inc_renal.window_days=180"


@pytest.mark.parametrize("name", ["../escape", "a b", "", "x/y"])
def test_unsafe_name_is_refused(name):
    with pytest.raises(ParameterError, match="--name"):
        whatif.check_name(name)


def test_lower_egfr_threshold_adds_the_low_egfr_patients_and_leaves_the_warehouse_as_it_was(wh):
    cohort_data.build(wh, LAYOUT)
    trial = cohort_data.evaluate_mini(wh)
    before = wh.execute("select * from mini_trial.criteria_results order by all").fetchall()
    baseline = {k: p.default for k, p in trial.parameters.items()}
    result = whatif.evaluate_whatif(wh, trial, cohort_data.AS_OF, baseline, {"inc_renal.egfr_min": 15.0})
    assert [
        (p["patient_id"], p["change"], p["baseline_status"], p["whatif_status"]) for p in result["patients"]
    ] == [
        ("SITE_A-low_egfr-00", "new_candidate", "ineligible", "eligible"),
        ("SITE_A-low_egfr-01", "new_candidate", "ineligible", "eligible"),
    ]
    assert {p["changed_criteria"] for p in result["patients"]} == {"inc_renal: not_met -> met"}
    statuses = {s["status"]: (s["baseline"], s["whatif"], s["delta"]) for s in result["statuses"]}
    assert statuses == {"eligible": (3, 5, 2), "potential": (2, 2, 0), "ineligible": (3, 1, -2)}
    renal = next(r for r in result["funnel"] if r["step"] == "inc_renal")
    assert (renal["baseline_removed"], renal["whatif_removed"], renal["delta_remaining"]) == (2, 0, 2)
    assert wh.execute("select * from mini_trial.criteria_results order by all").fetchall() == before
    assert wh.execute("select value_num from mini_trial.params where name = 'egfr_min'").fetchone() == (30.0,)
    assert wh.execute(
        "select count(*) from information_schema.tables where table_name = 'whatif_baseline'"
    ).fetchone() == (0,)


@pytest.fixture
def scanned(tmp_path):
    """A warehouse file evaluated at AS_OF and its (empty) export folder, as after a scan."""
    warehouse = tmp_path / "wh.duckdb"
    con = connect(warehouse)
    cohort_data.build(con, LAYOUT)
    cohort_data.evaluate_mini(con)
    con.close()
    out = tmp_path / "out"
    (out / cohort_data.TRIAL_ID / cohort_data.AS_OF.isoformat()).mkdir(parents=True)
    return warehouse, out


def test_whatif_writes_json_and_html_beside_the_run(scanned):
    warehouse, out = scanned
    result = whatif.run_whatif(
        warehouse, cohort_data.TRIALS_DIR, out, "mini_trial", ["inc_renal.egfr_min=15"]
    )
    folder = out / "mini_trial" / "2026-11-26"
    assert sorted(p.name for p in folder.iterdir()) == [
        "whatif-inc_renal.egfr_min=15.html",
        "whatif-inc_renal.egfr_min=15.json",
    ]
    written = json.loads((folder / "whatif-inc_renal.egfr_min=15.json").read_text())
    assert written["as_of"] == "2026-11-26"  # the last evaluation's, none given
    assert written["changes"] == [
        {
            "name": "inc_renal.egfr_min",
            "baseline": 30.0,
            "whatif": 15.0,
            "description": "Minimum eGFR, mL/min/1.73m2",
        }
    ]
    assert len(written["patients"]) == len(result["patients"]) == 2
    text = whatif.format_result(result)
    assert "patients added (2):" in text
    assert "SITE_A-low_egfr-00  SITE_A  ineligible -> eligible  (inc_renal: not_met -> met)" in text


def test_whatif_without_a_run_folder_says_how_to_get_one(scanned):
    warehouse, out = scanned
    with pytest.raises(NotFound, match=r"run `cohortscan scan --as-of 2026-12-01` first"):
        whatif.run_whatif(
            warehouse,
            cohort_data.TRIALS_DIR,
            out,
            "mini_trial",
            ["inc_renal.egfr_min=15"],
            as_of=cohort_data.AS_OF.replace(day=1, month=12),
        )


def test_cli_whatif_unknown_name_is_exit_3_and_one_line(scanned, capsys, monkeypatch):
    warehouse, out = scanned
    monkeypatch.setenv("COHORTSCAN_TRIALS_DIR", str(cohort_data.TRIALS_DIR))
    where = ["--warehouse", str(warehouse), "--out", str(out)]
    code = main(["whatif", "--trial", "mini_trial", "--set", "inc_renal.nope=1", *where])
    err = capsys.readouterr().err
    assert code == 3
    assert err.count("\n") == 1
    assert "unknown parameter 'inc_renal.nope'" in err and VALID in err


def test_cli_whatif_prints_the_delta(scanned, capsys, monkeypatch):
    warehouse, out = scanned
    monkeypatch.setenv("COHORTSCAN_TRIALS_DIR", str(cohort_data.TRIALS_DIR))
    code = main(
        [
            "whatif",
            "--trial",
            "mini_trial",
            "--set",
            "inc_renal.egfr_min=15",
            "--name",
            "renal15",
            "--warehouse",
            str(warehouse),
            "--out",
            str(out),
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0
    assert "inc_renal.egfr_min: 30 -> 15" in printed
    assert "patients added (2):" in printed
    assert (out / "mini_trial" / "2026-11-26" / "whatif-renal15.html").is_file()


def test_whatif_without_trial_picks_the_only_trial_declaring_the_names():
    from pipelines.settings import SQL_DIR
    from pipelines.tools.whatif import pick_trial

    both = ["cart_autoimmune", "lupus_nephritis"]
    assert pick_trial(SQL_DIR / "trials", both, ["inc_renal.egfr_min=15"]) == "cart_autoimmune"
    with pytest.raises(ParameterError, match=r"several trials declare inc_age\.min_age_years; give --trial"):
        pick_trial(SQL_DIR / "trials", both, ["inc_age.min_age_years=21"])
    with pytest.raises(ParameterError, match=r"no trial declares nope\.x"):
        pick_trial(SQL_DIR / "trials", both, ["nope.x=1"])


def test_cli_whatif_imports_neither_prefect_nor_great_expectations_nor_pandas(scanned):
    warehouse, out = scanned
    code = (
        "import sys\n"
        "from pipelines.cli import main\n"
        f"assert main(['whatif', '--trial', 'mini_trial', '--set', 'inc_renal.egfr_min=15', "
        f"'--warehouse', {str(warehouse)!r}, '--out', {str(out)!r}]) == 0\n"
        "heavy = ('prefect', 'great_expectations', 'pandas', 'pyarrow', 'sqlalchemy')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & set(heavy)))\n"
    )
    env = {**os.environ, "COHORTSCAN_TRIALS_DIR": str(cohort_data.TRIALS_DIR)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
