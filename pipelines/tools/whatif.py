"""`cohortscan whatif`: re-evaluate a trial from the warehouse with changed parameters.

No re-ingest and no re-staging: everything happens on the staged tables as they are,
inside one transaction that is rolled back, so the warehouse is left exactly as it
was. The baseline is the trial's parameters as last evaluated (the defaults for a
scan); the what-if is the baseline with the `--set` values.

Cheap by default: when the trial's stored evaluation is current (same as-of date,
parameters and fingerprint of what it read: `evaluate.is_current`) it is the baseline,
and only the criteria that read a changed parameter are re-materialised
(`whatif_scope.criteria_reading`); eligibility, funnel and changes are recomputed from
`criteria_results`. Otherwise the baseline is evaluated first, and when it is not
certain which criteria read a parameter the whole trial is evaluated again; the
result is the same either way (tests/integration/test_whatif_fast_path.py).

The result (funnel and status deltas, and which patients change) is printed and
written beside the run as `whatif-<name>.json` and `.html`. These files list patient
ids and are not suppressed: they are for site staff, like candidates.csv. Prefect is
not imported here.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from contextlib import suppress
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from pipelines import files
from pipelines.criteria import evaluate, trials
from pipelines.criteria import scope as whatif_scope
from pipelines.criteria.trials import Trial
from pipelines.errors import NotFound, ParameterError
from pipelines.settings import SQL_DIR, Settings
from pipelines.warehouse.connect import ident, open_warehouse, read_sql

NAME_RE = re.compile(r"[A-Za-z0-9._=+-]{1,120}")
STATUSES = ("eligible", "potential", "ineligible")
CHANGES_SQL = SQL_DIR / "cohort" / "whatif_changes.sql"


def valid_names(trial: Trial) -> str:
    """Every parameter name of the trial with its default, for error messages."""
    return ", ".join(f"{key} ({_fmt(p.default)})" for key, p in sorted(trial.parameters.items()))


def parse_assignments(trial: Trial, assignments: Sequence[str]) -> dict[str, float | str]:
    """`CRITERION.PARAM=VALUE` strings to typed values; ParameterError names the valid ones."""
    values: dict[str, float | str] = {}
    for text in assignments:
        name, sep, raw = text.partition("=")
        name, raw = name.strip(), raw.strip()
        if not sep or not name or not raw:
            raise ParameterError(
                f"--set {text!r} is not CRITERION.PARAM=VALUE; valid names: {valid_names(trial)}"
            )
        parameter = trial.parameters.get(name)
        if parameter is None:
            raise ParameterError(
                f"unknown parameter {name!r} for trial {trial.id}; valid names: {valid_names(trial)}"
            )
        if name in values:
            raise ParameterError(f"--set {name} is given twice; give each parameter once")
        try:
            values[name] = parameter.parse(raw)
        except ValueError as err:
            raise ParameterError(f"{err}; valid names: {valid_names(trial)}") from None
    if not values:
        raise ParameterError(f"no --set given; valid names: {valid_names(trial)}")
    return values


def pick_trial(trials_dir: Path, trial_ids: Sequence[str], assignments: Sequence[str]) -> str:
    """The trial a what-if is about: the only one given, or the only one declaring every
    `--set` name (so `--set inc_renal.egfr_min=15` needs no --trial when one trial has it)."""
    if len(trial_ids) == 1:
        return trial_ids[0]
    names = {text.partition("=")[0].strip() for text in assignments}
    owners = [t for t in trial_ids if names <= set(trials.load_trial(trials_dir, t).parameters)]
    if len(owners) == 1:
        return owners[0]
    which = "several trials declare" if owners else "no trial declares"
    raise ParameterError(
        f"{which} {', '.join(sorted(names))}; give --trial (trials: {', '.join(trial_ids) or 'none'})"
    )


def default_name(values: Mapping[str, float | str]) -> str:
    """`inc_renal.egfr_min=15`, several joined with '+', safe as a file name."""
    text = "+".join(f"{key}={_fmt(value)}" for key, value in values.items())
    return re.sub(r"[^A-Za-z0-9._=+-]", "_", text)[:120]


def check_name(name: str) -> str:
    """A what-if name given with --name, checked to be a safe file name."""
    if not NAME_RE.fullmatch(name):
        raise ParameterError(
            f"--name {name!r}: use 1 to 120 letters, digits and . _ = + - (it names the output files)"
        )
    return name


def _fmt(value: float | str) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def stored_evaluation(con: duckdb.DuckDBPyConnection, trial: Trial) -> tuple[date | None, dict]:
    """The as-of date and parameter values of the trial's last evaluation (None, {} if none)."""
    schema = ident(trial.id)
    with suppress(duckdb.Error):
        as_of = con.execute(f"select as_of from {schema}.run_context").fetchone()[0]
        rows = con.execute(
            f"select criterion_id, name, value_num, value_text from {schema}.params"
        ).fetchall()
        params = {
            f"{c}.{n}": (num if num is not None else text)
            for c, n, num, text in rows
            if f"{c}.{n}" in trial.parameters
        }
        return as_of, params
    return None, {}


def evaluate_whatif(
    con: duckdb.DuckDBPyConnection,
    trial: Trial,
    as_of: date,
    baseline: Mapping[str, float | str],
    changes: Mapping[str, float | str],
) -> dict[str, Any]:
    """Baseline and what-if inside a transaction that is rolled back; return both.

    The baseline is the trial's stored evaluation when it is current (same as-of date,
    same parameters, same fingerprint: `evaluate.is_current`), else the trial evaluated
    with the baseline values. The what-if then re-materialises only the criteria that
    read a changed parameter (`whatif_scope.criteria_reading`), or the whole trial when
    that is not certain. Eligibility, funnel and changes are recomputed from
    `criteria_results` either way.
    """
    schema = ident(trial.id)
    stored = evaluate.is_current(con, trial, as_of, baseline)  # read-only, before the transaction
    con.execute("begin transaction")
    try:
        if not stored:
            evaluate.evaluate_trial(con, trial, as_of, baseline)
        affected = whatif_scope.criteria_reading(trial, changes)
        # The baseline: each patient's status, and the results the what-if may change.
        con.execute(
            f"create or replace table {schema}.whatif_baseline as "
            f"select patient_id, site_id, status from {schema}.cohort_decisions"
        )
        con.execute(
            f"create or replace table {schema}.whatif_baseline_criteria as "
            f"select patient_id, criterion_id, status from {schema}.criteria_results"
            + ("" if affected is None else " where criterion_id in ?"),
            [] if affected is None else [[c.id for c in affected]],
        )
        base_statuses = _status_counts(con, f"{schema}.whatif_baseline")
        base_funnel = evaluate.funnel(con, trial)
        if affected is None:
            evaluate.evaluate_trial(con, trial, as_of, {**baseline, **changes})
        else:
            evaluate.reevaluate_criteria(con, trial, {**baseline, **changes}, affected)
        con.execute(
            f"create or replace table {schema}.whatif_status as "
            f"select patient_id, status from {schema}.cohort_decisions"
        )
        new_statuses = _status_counts(con, f"{schema}.whatif_status")
        new_funnel = evaluate.funnel(con, trial)
        con.execute(f"set schema = '{trial.id}'")
        try:
            cursor = con.execute(read_sql(CHANGES_SQL))
            columns = [d[0] for d in cursor.description]
            patients = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        finally:
            con.execute("set schema = 'main'")
    finally:
        con.execute("rollback")
    return {
        "evaluation": {
            "baseline": "stored" if stored else "evaluated",
            "criteria_evaluated": [c.id for c in (trial.criteria if affected is None else affected)],
            "whole_trial": affected is None,
        },
        "statuses": [
            {
                "status": s,
                "baseline": base_statuses.get(s, 0),
                "whatif": new_statuses.get(s, 0),
                "delta": new_statuses.get(s, 0) - base_statuses.get(s, 0),
            }
            for s in STATUSES
        ],
        "funnel": _funnel_delta(base_funnel, new_funnel),
        "patients": patients,
    }


def _status_counts(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, int]:
    return dict(con.execute(f"select status, count(*) from {table} group by status").fetchall())


def _funnel_delta(base: list[dict], new: list[dict]) -> list[dict[str, Any]]:
    rows = []
    for b, n in zip(base, new, strict=True):
        row = {"step_number": b["step_number"], "step": b["step"], "kind": b["kind"]}
        for measure in ("remaining", "removed", "unknown"):
            row[f"baseline_{measure}"] = b[measure]
            row[f"whatif_{measure}"] = n[measure]
        row["delta_remaining"] = n["remaining"] - b["remaining"]
        rows.append(row)
    return rows


def run_whatif(
    warehouse: Path,
    trials_dir: Path,
    out: Path,
    trial_id: str,
    assignments: Sequence[str],
    as_of: date | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """Parse, evaluate, write `whatif-<name>.json/.html` beside the run; return the result."""
    started = time.monotonic()
    trial = trials.load_trial(trials_dir, trial_id)
    changes = parse_assignments(trial, assignments)
    name = check_name(name) if name else default_name(changes)
    if not warehouse.exists():
        raise NotFound(f"{warehouse}: no warehouse yet; run `cohortscan scan` first")
    with open_warehouse(warehouse) as con:
        con.execute("set enable_progress_bar = false")  # DuckDB would draw it on stdout
        stored_as_of, stored_params = stored_evaluation(con, trial)
        as_of = as_of or stored_as_of
        if as_of is None:
            raise NotFound(
                f"trial {trial.id} was never evaluated in {warehouse}; run `cohortscan scan` first"
            )
        folder = out / trial.id / as_of.isoformat()
        if not folder.is_dir():
            raise NotFound(
                f"{folder}: no export folder for {trial.id} as of {as_of} to write the what-if beside; "
                f"run `cohortscan scan --as-of {as_of}` first"
            )
        baseline = {key: stored_params.get(key, p.default) for key, p in trial.parameters.items()}
        delta = evaluate_whatif(con, trial, as_of, baseline, changes)
    result = {
        "report": "whatif",
        "name": name,
        "trial": {"id": trial.id, "title": trial.title},
        "as_of": as_of.isoformat(),
        "generated_at": datetime.now().isoformat(timespec="seconds"),
        "changes": [
            {
                "name": key,
                "baseline": baseline[key],
                "whatif": value,
                "description": trial.parameters[key].description,
            }
            for key, value in changes.items()
        ],
        "parameters": {**baseline, **changes},
        **delta,
        "seconds": round(time.monotonic() - started, 3),
    }
    result["files"] = write_whatif(result, folder)
    return result


def write_whatif(result: dict[str, Any], folder: Path) -> list[str]:
    """Write whatif-<name>.json and .html into the run's folder, each atomically."""
    from pipelines.exports import report_html

    json_path = folder / f"whatif-{result['name']}.json"
    html_path = folder / f"whatif-{result['name']}.html"
    files.write_json(json_path, result)
    files.write_text(html_path, report_html.whatif_html(result))
    group = Settings().private_group
    for path in (json_path, html_path):
        files.restrict(path, group)  # patient ids: for site staff only
    return [str(json_path), str(html_path)]


def format_result(result: dict[str, Any]) -> str:
    """The what-if as the CLI prints it: changes, status and funnel deltas, patients."""
    method = result["evaluation"]
    baseline = "the last scan's results" if method["baseline"] == "stored" else "evaluated again"
    lines = [
        f"what-if {result['name']}: {result['trial']['id']} as of {result['as_of']} "
        f"({result['seconds']:.1f} s, warehouse unchanged)",
        f"  baseline: {baseline}; re-evaluated: "
        + ("every criterion" if method["whole_trial"] else ", ".join(method["criteria_evaluated"])),
    ]
    lines += [f"  {c['name']}: {_fmt(c['baseline'])} -> {_fmt(c['whatif'])}" for c in result["changes"]]
    lines.append("")
    lines.append(f"  {'status':<26}{'baseline':>10}{'what-if':>10}{'change':>8}")
    for s in result["statuses"]:
        lines.append(f"  {s['status']:<26}{s['baseline']:>10}{s['whatif']:>10}{s['delta']:>+8}")
    lines.append("")
    lines.append(f"  {'remaining after step':<26}{'baseline':>10}{'what-if':>10}{'change':>8}")
    for r in result["funnel"]:
        base, new, delta = r["baseline_remaining"], r["whatif_remaining"], r["delta_remaining"]
        lines.append(f"  {r['step']:<26}{base:>10}{new:>10}{delta:>+8}")
    labels = {
        "new_candidate": "patients added",
        "dropped_candidate": "patients dropped",
        "status_changed": "eligible <-> potential",
    }
    for change, label in labels.items():
        rows = [p for p in result["patients"] if p["change"] == change]
        lines.append("")
        lines.append(f"{label} ({len(rows)})" + (":" if rows else ""))
        lines += [
            f"  {p['patient_id']}  {p['site_id']}  {p['baseline_status']} -> {p['whatif_status']}  "
            f"({p['changed_criteria']})"
            for p in rows
        ]
    lines.append("")
    lines.append("written: " + ", ".join(result["files"]))
    return "\n".join(lines)
