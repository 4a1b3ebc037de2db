"""Three nights of a trial's screening, told end to end (README, "Screening: the list
remembers"): the scan flow on the sample, a coordinator's decisions between the nights
through `cohortscan review` and an imported screening log, a delta of new labs on night
2, and night 3 past a deferral date."""

from __future__ import annotations

import csv
import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from pipelines import cli
from pipelines.criteria import evaluate
from pipelines.criteria.trials import load_trial
from pipelines.exports.screening import LEVELS
from pipelines.run.flows import scan_flow
from pipelines.settings import PROJECT_ROOT, SQL_DIR
from pipelines.warehouse.connect import open_warehouse

pytestmark = pytest.mark.slow

TRIAL = "cart_autoimmune"
NIGHT1 = date(2026, 11, 26)
NIGHT2 = NIGHT1 + timedelta(days=1)
DEFERRED_UNTIL = NIGHT1 + timedelta(days=7)
NIGHT3 = NIGHT1 + timedelta(days=8)
EGFR, HB = "98979-8", "718-7"


def _read(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _review(warehouse: Path, *args: str) -> None:
    code = cli.main(["review", *args, "--warehouse", str(warehouse), "--on", NIGHT1.isoformat()])
    assert code == 0, args


def _pick(warehouse: Path) -> dict[str, str]:
    """Ten candidates of night 1 whose data gives the same statuses on night 3 (so the story
    isolates the coordinator's decisions and the delta from results ageing out of their
    windows): eight eligible ones (by rank), and two potential ones with inc_renal unknown
    and their blood counts met (X and Y)."""
    query = (
        f"select patient_id, list(status order by criterion_id) from {TRIAL}.criteria_results group by all"
    )
    with open_warehouse(warehouse) as con:
        night1 = dict(con.execute(query).fetchall())
        con.execute("begin transaction")
        evaluate.evaluate_trial(con, load_trial(SQL_DIR / "trials", TRIAL), NIGHT3)
        night3 = dict(con.execute(query).fetchall())
        con.execute("rollback")
        stable = [patient for patient, statuses in night1.items() if night3[patient] == statuses]
        eligible = [
            r[0]
            for r in con.execute(
                f"select patient_id from {TRIAL}.cohort_ranking where status = 'eligible' "
                "and patient_id in ? order by rank limit 8",
                [stable],
            ).fetchall()
        ]
        renal = [
            r[0]
            for r in con.execute(
                f"select d.patient_id from {TRIAL}.cohort_decisions as d "
                f"join {TRIAL}.criteria_results as r on r.patient_id = d.patient_id "
                "and r.criterion_id = 'inc_blood_counts' and r.status = 'met' "
                "where d.status = 'potential' and d.unmet_or_unknown like '%inc_renal%' "
                "and d.patient_id in ? order by d.patient_id limit 2",
                [stable],
            ).fetchall()
        ]
    return dict(zip("ABCDEFGH", eligible, strict=True)) | {"X": renal[0], "Y": renal[1]}


def _log_adds_up(rows: list[dict]) -> None:
    """Every level of the screening log adds up, by reason and by site."""
    cells = {(r["site_id"], r["measure"], r["reason"]): int(r["patients"]) for r in rows}
    sites = sorted({s for s, _, _ in cells})
    for site in sites:

        def n(part, site=site):
            return cells[(site, *part)] if isinstance(part, tuple) else cells[(site, part, "")]

        for total, parts in LEVELS:
            assert n(total) == sum(n(p) for p in parts), (site, total)
        for measure in ("screen_failed", "declined", "withdrawn", "deceased"):
            assert n(measure) == sum(v for (s, m, r), v in cells.items() if s == site and m == measure and r)
    for key, value in cells.items():
        if key[0] == "all":
            assert value == sum(cells[(s, *key[1:])] for s in sites if s != "all"), key


@pytest.fixture(scope="module")
def nights(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("screening")
    drop = root / "drop"
    shutil.copytree(PROJECT_ROOT / "data" / "sample", drop, ignore=shutil.ignore_patterns("expected", "*.md"))
    warehouse, out = root / "wh.duckdb", root / "exports"
    args = dict(extracts=drop, warehouse=warehouse, out=out, trials_dir=SQL_DIR / "trials", trial_ids=[TRIAL])
    folders = {}
    scan_flow(**args, as_of=NIGHT1)
    folders[1] = out / TRIAL / NIGHT1.isoformat()
    p = _pick(warehouse)

    # The coordinator's day after night 1: the command line ...
    for patient in ("C", "D", "F", "G", "X", "Y"):
        _review(warehouse, p[patient], "--trial", TRIAL, "--state", "reviewed", "--by", "jdoe")
    for patient in ("C", "D"):
        _review(warehouse, p[patient], "--trial", TRIAL, "--state", "contacted", "--by", "jdoe")
    _review(
        warehouse,
        p["D"],
        "--trial",
        TRIAL,
        "--criterion",
        "inc_consent=met",
        "--reason",
        "signed",
        "--by",
        "jdoe",
    )
    _review(warehouse, p["D"], "--trial", TRIAL, "--state", "consented", "--by", "jdoe")
    _review(
        warehouse, p["E"], "--trial", TRIAL, "--state", "deferred", "--reason", "awaiting_results",
        "--until", DEFERRED_UNTIL.isoformat(), "--by", "jdoe", "--note", "repeat echo first",
    )  # fmt: skip
    for patient, criterion, reason in (
        ("F", "inc_apheresis", "chart_review"),
        ("F", "inc_contraception", "patient_report"),
        ("G", "inc_apheresis", "chart_review"),
        ("X", "inc_renal", "outside_record"),
        ("Y", "inc_renal", "outside_record"),
    ):
        _review(
            warehouse, p[patient], "--trial", TRIAL, "--criterion", f"{criterion}=met", "--reason", reason,
            "--by", "jdoe",
        )  # fmt: skip
    # ... and the screening log kept in a spreadsheet, imported twice (nothing twice).
    log = root / "screening-log.csv"
    log.write_text(
        "trial_id,patient_id,state,reason,decided_on,note\n"
        f"{TRIAL},{p['A']},reviewed,,{NIGHT1},\n"
        f"{TRIAL},{p['A']},screen_failed,lab_out_of_range,{NIGHT1},platelets 25 at visit\n"
        f"{TRIAL},{p['B']},screen_failed,comorbidity,{NIGHT1},\n"
        f"{TRIAL},{p['H']},contacted,,{NIGHT1},\n"
        f"{TRIAL},{p['H']},declined,not_interested,{NIGHT1},\n",
        encoding="utf-8",
    )
    for _ in range(2):
        assert cli.main(["review", "--import", str(log), "--by", "mlee", "--warehouse", str(warehouse)]) == 0

    # Night 2: a delta of new labs: an eGFR for X (its overridden criterion's evidence
    # changes), a haemoglobin for Y (new data, but not for its overridden criterion).
    (drop / "labs-2026-11-27.csv").write_text(
        "patient_id,code_system,code,result_date,value_num,value_text,unit,ref_low,ref_high\n"
        f"{p['X']},LOINC,{EGFR},{NIGHT2},45,,mL/min/1.73m2,,\n"
        f"{p['Y']},LOINC,{HB},{NIGHT2},121,,g/L,,\n",
        encoding="utf-8",
    )
    scan_flow(**args, as_of=NIGHT2)
    folders[2] = out / TRIAL / NIGHT2.isoformat()
    scan_flow(**args, as_of=NIGHT3)
    folders[3] = out / TRIAL / NIGHT3.isoformat()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        events = con.execute("select count(*) from screening_events").fetchone()[0]
    return {
        "patients": p,
        "events": events,
        "worklist": {n: _read(f / "worklist.csv") for n, f in folders.items()},
        "log": {n: _read(f / "screening_log.csv") for n, f in folders.items()},
        "criteria": {n: _read(f / "criteria.csv") for n, f in folders.items()},
        "folders": folders,
    }


def _by_patient(rows: list[dict]) -> dict[str, dict]:
    return {r["patient_id"]: r for r in rows}


def test_night_one_presents_every_candidate_for_review(nights):
    worklist = nights["worklist"][1]
    assert {r["action"] for r in worklist} == {"review"}
    assert set(nights["patients"].values()) <= set(_by_patient(worklist))


def test_an_imported_log_twice_records_each_row_once(nights):
    # 6 reviewed + 2 contacted + 1 consented + 1 deferred + 5 criterion decisions + 1 consent
    # decision by the command line, 5 rows of the log (imported twice).
    assert nights["events"] == 16 + 5


def test_night_two_presents_no_decided_patient_again_but_the_one_whose_evidence_changed(nights):
    p, worklist = nights["patients"], _by_patient(nights["worklist"][2])
    for closed_or_deferred in ("A", "B", "E", "H"):
        assert p[closed_or_deferred] not in worklist, closed_or_deferred
    for open_state in ("C", "D", "F", "G", "Y"):
        assert worklist[p[open_state]]["action"] == "follow_up", open_state
    flagged = worklist[p["X"]]
    assert flagged["action"] == "re_review"
    assert "inc_renal: unknown -> met" in flagged["changed_since_decision"]
    assert "inc_renal: decision met by jdoe on 2026-11-26 lapsed" in flagged["changed_since_decision"]
    decided = {r["patient_id"] for r in nights["worklist"][2] if r["action"] != "review"}
    assert decided <= set(p.values())


def test_the_overridden_criterion_lapses_if_and_only_if_its_evidence_changed(nights):
    p = nights["patients"]
    for night, x_source in ((1, "data"), (2, "data"), (3, "data")):
        rows = {
            (r["patient_id"], r["criterion_id"]): r
            for r in nights["criteria"][night]
            if r["criterion_id"] == "inc_renal"
        }
        if night == 1:  # decided after night 1's scan
            continue
        assert rows[(p["X"], "inc_renal")]["status_source"] == x_source
        assert "lapsed: the evidence changed" in rows[(p["X"], "inc_renal")]["evidence"]
        y = rows[(p["Y"], "inc_renal")]
        assert y["status_source"] == "decision" and y["status"] == "met"
        assert y["evidence"].startswith(
            "inc_renal met (by jdoe on 2026-11-26: outside_record); data: no eGFR"
        )


def test_decided_manual_criteria_show_their_origin(nights):
    p = nights["patients"]
    rows = {(r["patient_id"], r["criterion_id"]): r for r in nights["criteria"][2]}
    consent = rows[(p["D"], "inc_consent")]
    assert (consent["status"], consent["status_source"]) == ("met", "decision")
    assert consent["evidence"] == "inc_consent met (by jdoe on 2026-11-26: signed)"


def test_night_three_brings_the_deferred_patient_back(nights):
    p, worklist = nights["patients"], _by_patient(nights["worklist"][3])
    assert worklist[p["E"]]["action"] == "deferred_returning"
    assert worklist[p["E"]]["state_until"] == DEFERRED_UNTIL.isoformat()
    for closed in ("A", "B", "H"):
        assert p[closed] not in worklist or worklist[p[closed]]["action"] == "re_review"


@pytest.mark.parametrize("night", [1, 2, 3])
def test_the_screening_log_adds_up_every_night(nights, night):
    rows = nights["log"][night]
    _log_adds_up(rows)
    counts = {r["measure"]: int(r["patients"]) for r in rows if r["site_id"] == "all" and not r["reason"]}
    if night > 1:
        assert counts["screen_failed"] == 2
        assert counts["declined"] == 1
        assert counts["consented"] == 1
        assert counts["contacted"] == 3  # C, D (consented) and H (declined)
        reasons = {
            r["reason"]: int(r["patients"])
            for r in rows
            if r["site_id"] == "all" and r["measure"] == "screen_failed" and r["reason"]
        }
        assert reasons["lab_out_of_range"] == 1 and reasons["comorbidity"] == 1


def test_identified_is_cumulative_across_nights(nights):
    """A patient listed once stays identified: those who left the list unreviewed are
    no_longer_candidate (night 3: results aged out of their windows)."""
    identified, dropped = {}, {}
    for night in (1, 2, 3):
        cells = {
            r["measure"]: int(r["patients"])
            for r in nights["log"][night]
            if r["site_id"] == "all" and not r["reason"]
        }
        identified[night], dropped[night] = cells["identified"], cells["no_longer_candidate"]
    assert identified[1] <= identified[2] <= identified[3]
    assert dropped[3] > 0


def test_patient_level_screening_files_are_readable_by_their_owner_only(nights):
    folder = nights["folders"][2]
    for name in ("worklist.csv", "worklist.html", "screening_log.csv", "research_subjects.ndjson"):
        assert (folder / name).stat().st_mode & 0o777 == 0o600, name
