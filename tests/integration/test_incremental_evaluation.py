"""Incremental evaluation gives exactly the criteria results of a complete one.

One warehouse receives the nights: the sample drop first, then each night a random
delta file (new lab, diagnosis and medication rows for random patients, copied from the
sample's own rows with their dates moved around the night's as-of date and their values
changed: new results, results dated after the as-of date, a second value on a result's
own day that supersedes it) and a random move of the as-of date (a day forwards, months
forwards, backwards). Each trial is evaluated the way a scan does (incrementally when
it can), then completely; every night both trials' criteria_results must be identical,
row for row (patient, criterion, kind, status, evidence, evidence date, status source,
computed status); a screening decision is recorded on some nights. A seeded loop
(random.Random) keeps it reproducible (the seed is in the test id); it takes about a
minute and a half on the 2-core machine: some thirty evaluations of both trials.
"""

from __future__ import annotations

import contextlib
import csv
import random
import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from pipelines.criteria import evaluate, trials
from pipelines.ingest import load as ingest
from pipelines.screening.events import Event, record_one
from pipelines.settings import PROJECT_ROOT, SQL_DIR
from pipelines.staging import build as staging
from pipelines.warehouse.connect import connect

SAMPLE = PROJECT_ROOT / "data" / "sample"
TRIALS = SQL_DIR / "trials"
TRIAL_IDS = ("cart_autoimmune", "lupus_nephritis")
START = date(2026, 11, 26)
COMPARED = "patient_id, criterion_id, kind, status, evidence, evidence_date, status_source, computed_status"
NIGHTS = 6


def _moves(rng: random.Random) -> list[int | str]:
    """Moves of the as-of date: days (negative: backwards) or 'Nm' months forwards; a
    day forwards most nights, months and backwards at least once each."""
    moves: list[int | str] = [1, f"{rng.randint(1, 14)}m", -rng.randint(1, 400), 1, 0]
    moves += [rng.choice([1, 1, 2, f"{rng.randint(1, 3)}m", -rng.randint(1, 60)]) for _ in range(NIGHTS - 5)]
    rng.shuffle(moves)
    return moves


def _move(as_of: date, move: int | str) -> date:
    if isinstance(move, str):
        months = as_of.month - 1 + int(move[:-1])
        year, month = as_of.year + months // 12, months % 12 + 1
        return date(year, month, min(as_of.day, 28))
    return as_of + timedelta(days=move)


def _delta(rng: random.Random, drop: Path, night: int, as_of: date) -> None:
    """Write night `night`'s files into `drop`: rows copied from the sample's own for about
    3 % of its patients, dated around `as_of` (windows' edges included: dates are spread
    over the last 400 days and 60 days ahead), values changed."""
    src = duckdb.connect()
    patients = [r[0] for r in src.execute(f"select patient_id from '{SAMPLE}/patients.csv'").fetchall()]
    chosen = rng.sample(patients, max(3, len(patients) * 3 // 100))
    labs = src.execute(
        f"select * from read_csv('{SAMPLE}/labs-*', all_varchar = true, union_by_name = true) "
        "where patient_id in ? order by all",
        [chosen],
    ).fetchall()
    header = ("patient_id", "code_system", "code", "result_date", "value_num", "value_text", "unit",
              "ref_low", "ref_high")  # fmt: skip
    rows = []
    for row in rng.sample(labs, min(len(labs), 40)):
        values = dict(zip(header, row, strict=False))
        if rng.random() < 0.7:  # a new date near the as-of date; else its own day (supersedes)
            values["result_date"] = (as_of + timedelta(days=rng.randint(-400, 60))).isoformat()
        with contextlib.suppress(TypeError, ValueError):
            values["value_num"] = str(round(float(values["value_num"]) * rng.uniform(0.3, 1.7), 1))
        rows.append([values[k] or "" for k in header])
    with (drop / f"labs-night{night:02d}.csv").open("w", newline="") as f:
        csv.writer(f).writerows([header, *rows])
    diagnoses = src.execute(
        f"select * from '{SAMPLE}/diagnoses.csv' where patient_id in ? order by all", [chosen]
    ).fetchall()
    lines = ["patient_id,code_system,code,diagnosis_date,source"]
    for pid, system, code, _, source in rng.sample(diagnoses, min(len(diagnoses), 15)):
        day = as_of + timedelta(days=rng.randint(-800, 60))
        lines.append(f"{pid},{system},{code},{day.isoformat()},{source or ''}")
    (drop / f"diagnoses-night{night:02d}.csv").write_text("\n".join(lines) + "\n")
    src.execute(
        f"copy (select * replace ("
        f"cast(? as date) + cast(floor(random() * 500) as integer) - 440 as start_date, "
        f"case when random() < 0.4 then null else cast(? as date) "
        f"+ cast(floor(random() * 200) as integer) - 100 end as end_date) "
        f"from '{SAMPLE}/medications.parquet' where patient_id in ? "
        f"using sample 12 rows (reservoir, {night})) "
        f"to '{drop}/medications-night{night:02d}.parquet'",
        [as_of, as_of, chosen],
    )
    src.close()


# What an evaluation stores in the trial's schema and the next one reads.
STORED = ("criteria_results", "evaluation", "evaluation_state", "evaluation_loads", "evaluation_mode")


def _stage(con, drop: Path, night: int) -> None:
    ingest.ingest_drop(con, drop, f"R{night}")
    staging.build_staging(con)


def _evaluate(con, trial_id: str, as_of: date, full: bool) -> None:
    evaluate.evaluate_trial(con, trials.load_trial(TRIALS, trial_id), as_of, full=full)


def _keep(con, trial_id: str) -> None:
    for table in STORED:
        con.execute(f"create or replace table kept_{table} as select * from {trial_id}.{table}")


def _restore(con, trial_id: str) -> None:
    for table in STORED:
        con.execute(f"create or replace table {trial_id}.{table} as select * from kept_{table}")


def _results(con, trial_id: str) -> list[tuple]:
    return con.execute(f"select {COMPARED} from {trial_id}.criteria_results order by all").fetchall()


@pytest.mark.parametrize("seed", [pytest.param(s, id=f"seed{s}") for s in (1,)])
def test_incremental_equals_full_over_random_nights(tmp_path, seed):
    """One warehouse: each night, each trial is evaluated the way a scan does (its stored
    evaluation kept aside), then in full; the two must agree; the incremental state is
    put back for the next night, so that incremental nights follow one another."""
    rng = random.Random(seed)
    drop = tmp_path / "drop"
    shutil.copytree(SAMPLE, drop, ignore=shutil.ignore_patterns("expected", "README.md"))
    con = connect(":memory:")
    as_of = START
    _stage(con, drop, 0)
    for trial_id in TRIAL_IDS:
        _evaluate(con, trial_id, as_of, full=False)
    modes = []
    for night, move in enumerate(_moves(rng), start=1):
        as_of = _move(as_of, move)
        _delta(rng, drop, night, as_of)
        if night % 3 == 0:
            _decide(rng, con, as_of)
        _stage(con, drop, night)
        for trial_id in TRIAL_IDS:
            _evaluate(con, trial_id, as_of, full=False)
            modes.append(evaluate.last_plan(con, trials.load_trial(TRIALS, trial_id))["mode"])
            got = _results(con, trial_id)
            _keep(con, trial_id)
            _evaluate(con, trial_id, as_of, full=True)
            want = _results(con, trial_id)
            _restore(con, trial_id)
            diff = sorted(set(got) ^ set(want))[:6]
            assert got == want, f"night {night} ({move}, as of {as_of}) {trial_id}: {diff}"
    # the nights that could be incremental were, and a move backwards was not
    assert "incremental" in modes and "full" in modes


def _decide(rng: random.Random, con, as_of: date) -> None:
    """A coordinator's decision on a computed criterion, in force for a few days."""
    trial = trials.load_trial(TRIALS, "cart_autoimmune")
    event = Event(
        trial_id=trial.id,
        patient_id=f"P{rng.randint(1, 300):05d}",
        decided_by="jdoe",
        decided_on=min(as_of, date.today()),
        criterion_id=rng.choice(["inc_renal", "inc_age", "inc_refractory"]),
        decision="met",
        reason="outside_record",
        until=as_of + timedelta(days=rng.randint(1, 20)),
    )
    record_one(con, trial, event)
