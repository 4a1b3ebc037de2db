"""The feasibility report: `feasibility.json` and `feasibility.html` of a run.

Every count comes from the trial's views (`cohort_funnel_by_group`,
`cohort_status_by_group`, `cohort_potential_reasons`) or from run.json's content. Before
anything is written, every count goes through `pipelines.exports.suppression` with the equations
that tie the counts together, so the JSON and the HTML (charts included: a hidden count
is never in the page, not even in a chart's data) show the same suppressed values. This
report is what may leave the site; candidates.csv (staff only) is not suppressed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import duckdb

from pipelines import __version__
from pipelines.criteria.trials import Trial
from pipelines.exports.suppression import (
    COMPLEMENTARY,
    DEFAULT_MIN_CELL_COUNT,
    Equation,
    Suppression,
    show_count,
    suppress,
)
from pipelines.warehouse.connect import ident

FUNNEL_MEASURES = ("remaining", "removed", "unknown")
STATUSES = ("eligible", "potential", "ineligible")
REASON_MEASURES = ("n_unknown", "n_only_open")
# rows_loaded (= read - quarantined) is left out: shown beside the other two it would
# reveal a small quarantined count, and hiding it in every file helps nobody.
DQ_MEASURES = ("rows_read", "rows_quarantined")
GROUPINGS = ("overall", "site", "disease")
# Keys of a data-quality check (pipelines/checks/merge.py) copied into the report. Left
# out: `detail` and `unexpected_percent` (they restate counts unsuppressed) and
# `first_location` (a file and line at the site).
VALIDATION_TEXT_KEYS = ("stage", "table", "check", "expectation", "kind", "severity", "status")
VALIDATION_COUNT_KEYS = ("element_count", "unexpected_count")

METHOD = (
    "Counts from 1 to {small_max} are shown as '<{t}' (primary suppression); 0 is shown. "
    "Counts tied to a hidden one by a total (site funnels add up to the overall funnel; "
    "remaining before a step = remaining after it + removed at it; eligible + potential + "
    "ineligible = all patients; files add up to the total) are hidden as '*' until no "
    "'<{t}' count can be worked out from the counts shown (complementary suppression)."
)


def collect(con: duckdb.DuckDBPyConnection, trial: Trial) -> dict[str, Any]:
    """The unsuppressed counts of the trial's current evaluation, from its views."""
    schema = ident(trial.id)
    funnel = con.execute(
        f"select grouping, group_value, step_number, step, kind, remaining, removed, unknown "
        f"from {schema}.cohort_funnel_by_group order by grouping, group_value, step_number"
    ).fetchall()
    statuses = con.execute(
        f"select grouping, group_value, status, patients from {schema}.cohort_status_by_group"
    ).fetchall()
    reasons = con.execute(
        f"select grouping, group_value, criterion_id, n_unknown, n_only_open "
        f"from {schema}.cohort_potential_reasons order by grouping, group_value, ordinal"
    ).fetchall()
    params = con.execute(
        f"select criterion_id || '.' || name, coalesce(cast(value_num as varchar), value_text) "
        f"from {schema}.params order by criterion_id, name"
    ).fetchall()
    as_of = con.execute(f"select as_of from {schema}.run_context").fetchone()[0]
    groups: dict[str, list[str]] = defaultdict(list)
    for grouping, group, *_ in funnel:
        if group not in groups[grouping]:
            groups[grouping].append(group)
    return {
        "as_of": as_of.isoformat(),
        "groups": dict(groups),
        "steps": [(r[3], r[4]) for r in funnel if r[0] == "overall"],
        "funnel": {(r[0], r[1], r[3]): dict(zip(FUNNEL_MEASURES, r[5:8], strict=True)) for r in funnel},
        "statuses": {(g, v, s): n for g, v, s, n in statuses},
        "reasons": {(r[0], r[1], r[2]): dict(zip(REASON_MEASURES, r[3:5], strict=True)) for r in reasons},
        "criteria": [c.id for c in trial.criteria if c.kind == "inclusion"],
        "parameters": {key: _number(value) for key, value in params},
    }


def _number(text: str) -> float | int | str:
    try:
        value = float(text)
    except ValueError:
        return text
    return int(value) if value.is_integer() else value


def cells_and_equations(
    raw: Mapping[str, Any], run_info: Mapping[str, Any]
) -> tuple[dict[tuple, int], list[Equation]]:
    """Every count of the report as a keyed cell, and the equations that tie them."""
    cells: dict[tuple, int] = {}
    equations: list[Equation] = []
    steps = [step for step, _ in raw["steps"]]
    for grouping, groups in raw["groups"].items():
        for group in groups:
            _group_cells(raw, grouping, group, steps, cells, equations)
    for grouping in ("site", "disease"):
        if _partitions(raw, grouping):
            _partition_equations(raw, grouping, cells, equations)
    _quality_cells(run_info, cells, equations)
    return cells, equations


def _group_cells(
    raw: Mapping[str, Any],
    grouping: str,
    group: str,
    steps: list[str],
    cells: dict[tuple, int],
    equations: list[Equation],
) -> None:
    def f(step: str, measure: str) -> tuple:
        return ("funnel", grouping, group, step, measure)

    def s(status: str) -> tuple:
        return ("status", grouping, group, status)

    for step in steps:
        for measure, value in raw["funnel"][(grouping, group, step)].items():
            cells[f(step, measure)] = value
    for status in STATUSES:
        cells[s(status)] = raw["statuses"][(grouping, group, status)]
    # a group with no patient (the overall group of an empty trial) has no reason rows: zeros
    none = dict.fromkeys(REASON_MEASURES, 0)
    for criterion in raw["criteria"]:
        for measure, value in raw["reasons"].get((grouping, group, criterion), none).items():
            cells[("reasons", grouping, group, criterion, measure)] = value
    for before, step in pairwise(steps):
        equations.append(Equation(f(before, "remaining"), (f(step, "remaining"), f(step, "removed"))))
    first, last = steps[0], steps[-1]
    equations.append(Equation(f(first, "remaining"), tuple(s(x) for x in STATUSES)))
    equations.append(Equation(f(last, "remaining"), (s("eligible"), s("potential"))))
    equations.append(Equation(s("ineligible"), tuple(f(step, "removed") for step in steps[1:])))


def _partitions(raw: Mapping[str, Any], grouping: str) -> bool:
    """True when every patient is in exactly one group (sites always; diseases if none overlap)."""
    first = raw["steps"][0][0]
    total = raw["funnel"][("overall", "all", first)]["remaining"]
    parts = sum(raw["funnel"][(grouping, g, first)]["remaining"] for g in raw["groups"].get(grouping, []))
    return bool(raw["groups"].get(grouping)) and parts == total


def _partition_equations(
    raw: Mapping[str, Any], grouping: str, cells: Mapping[tuple, int], equations: list[Equation]
) -> None:
    for key in [k for k in cells if k[1] == "overall"]:
        parts = tuple((key[0], grouping, g, *key[3:]) for g in raw["groups"][grouping])
        equations.append(Equation(key, parts))


def _quality_cells(run_info: Mapping[str, Any], cells: dict[tuple, int], equations: list[Equation]) -> None:
    inputs = run_info.get("inputs") or []
    for i, item in enumerate(inputs):
        for measure in DQ_MEASURES:
            cells[("dq", i, measure)] = int(item.get(measure) or 0)
    for measure in DQ_MEASURES:
        cells[("dq", "total", measure)] = sum(cells[("dq", i, measure)] for i in range(len(inputs)))
        equations.append(
            Equation(("dq", "total", measure), tuple(("dq", i, measure) for i in range(len(inputs))))
        )
    for table, rows in (run_info.get("staging_rows") or {}).items():
        cells[("dq", "staging", table)] = int(rows)
    patients = ("funnel", "overall", "all", "all_patients", "remaining")
    if ("dq", "staging", "stg_patients") in cells and patients in cells:
        equations.append(Equation(patients, (("dq", "staging", "stg_patients"),)))


def cost_function(raw: Mapping[str, Any], cells: Mapping[tuple, int]):
    """Which cells complementary suppression hides first (lower cost first).

    Headline counts last: a funnel's `remaining` equal to its first (all patients) or
    last (candidates) step, which also covers the run of steps that remove nobody at
    either end. Then the overall group after the sites and diseases, the status table
    after the funnel, and `removed` after `remaining` (hiding a remaining count pairs the
    small removals on both sides of it, which keeps the most of the funnel readable).
    """
    first, last = raw["steps"][0][0], raw["steps"][-1][0]

    def cost(key: tuple) -> int:
        headline = (
            key[0] == "funnel"
            and key[4] == "remaining"
            and cells[key]
            in (
                cells[("funnel", key[1], key[2], first, "remaining")],
                cells[("funnel", key[1], key[2], last, "remaining")],
            )
        )
        overall = key[1] in ("overall", "total")
        return 10 * headline + 4 * overall + 2 * (key[0] == "status") + (key[-1] == "removed")

    return cost


def build_report(
    raw: Mapping[str, Any],
    run_info: Mapping[str, Any],
    trial: Trial,
    min_cell_count: int = DEFAULT_MIN_CELL_COUNT,
) -> dict[str, Any]:
    """The content of feasibility.json: every count suppressed, plus the run's metadata."""
    cells, equations = cells_and_equations(raw, run_info)
    hidden = suppress(cells, equations, min_cell_count, cost=cost_function(raw, cells))

    def show(key: tuple) -> int | str:
        return hidden.show(key, cells[key])

    return {
        "report": "feasibility",
        "trial": {"id": trial.id, "title": trial.title},
        "run": _metadata(raw, run_info, trial),
        "suppression": {
            "min_cell_count": min_cell_count,
            "small": hidden.small_label,
            "complementary": COMPLEMENTARY,
            "method": METHOD.format(small_max=min_cell_count - 1, t=min_cell_count),
            "cells_hidden": {"small": len(hidden.primary), "complementary": len(hidden.complementary)},
            # groupings whose groups add up to the overall (an equation a network merge reuses)
            "partitions": [g for g in ("site", "disease") if _partitions(raw, g)],
        },
        "funnel": _by_grouping(raw, lambda g, v: _funnel_rows(raw, g, v, show)),
        "candidates_by_status": _by_grouping(raw, lambda g, v: _status_row(g, v, raw, show)),
        "potential_reasons": _by_grouping(raw, lambda g, v: _reason_rows(raw, g, v, show, hidden)),
        "data_quality": _quality(run_info, show, min_cell_count),
    }


def _by_grouping(raw: Mapping[str, Any], build) -> dict[str, Any]:
    out: dict[str, Any] = {"overall": build("overall", "all")}
    for grouping in ("site", "disease"):
        out[f"by_{grouping}"] = {group: build(grouping, group) for group in raw["groups"].get(grouping, [])}
    return out


def _funnel_rows(raw: Mapping[str, Any], grouping: str, group: str, show) -> list[dict[str, Any]]:
    return [
        {
            "step_number": number,
            "step": step,
            "kind": kind,
            **{m: show(("funnel", grouping, group, step, m)) for m in FUNNEL_MEASURES},
        }
        for number, (step, kind) in enumerate(raw["steps"])
    ]


def _status_row(grouping: str, group: str, raw: Mapping[str, Any], show) -> dict[str, Any]:
    first = raw["steps"][0][0]
    row = {status: show(("status", grouping, group, status)) for status in STATUSES}
    row["total"] = show(("funnel", grouping, group, first, "remaining"))
    return row


def _reason_rows(raw: Mapping[str, Any], grouping: str, group: str, show, hidden: Suppression) -> list[dict]:
    """Inclusions unknown among potential patients, most frequent first (by shown value)."""
    rows = [
        {"criterion_id": c, **{m: show(("reasons", grouping, group, c, m)) for m in REASON_MEASURES}}
        for c in raw["criteria"]
    ]
    rows = [r for r in rows if r["n_unknown"] != 0]

    def rank(row: dict) -> int:
        value = row["n_unknown"]
        return value if isinstance(value, int) else (hidden.min_cell_count if value == COMPLEMENTARY else 1)

    return sorted(rows, key=rank, reverse=True)  # stable: ties keep manifest order


def _quality(run_info: Mapping[str, Any], show, min_cell_count: int) -> dict[str, Any]:
    inputs = run_info.get("inputs") or []
    files = [
        {
            "file_name": item.get("file_name"),
            "kind": item.get("kind"),
            "status": item.get("status"),
            **{m: show(("dq", i, m)) for m in DQ_MEASURES},
        }
        for i, item in enumerate(inputs)
    ]
    return {
        "files": files,
        "totals": {m: show(("dq", "total", m)) for m in DQ_MEASURES},
        "staging_rows": {t: show(("dq", "staging", t)) for t in (run_info.get("staging_rows") or {})},
        "validation": _validation(run_info.get("validation"), min_cell_count),
    }


def _validation(validation: Any, min_cell_count: int) -> dict[str, Any]:
    """The run's data-quality outcome: names and outcomes, counts suppressed, no details."""
    if not isinstance(validation, Mapping):
        return {"status": "not_configured", "checks_run": 0, "checks_failed": 0, "checks": []}
    checks = []
    for check in validation.get("checks") or []:
        if not isinstance(check, Mapping):
            continue
        kept: dict[str, Any] = {k: check[k] for k in VALIDATION_TEXT_KEYS if k in check}
        for key in VALIDATION_COUNT_KEYS:
            value = check.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                kept[key] = show_count(value, min_cell_count)
        checks.append(kept)
    return {
        "status": str(validation.get("status", "unknown")),
        "checks_run": len(checks),
        "checks_failed": sum(c.get("status") == "failed" for c in checks),
        "checks": checks,
    }


def _metadata(raw: Mapping[str, Any], run_info: Mapping[str, Any], trial: Trial) -> dict[str, Any]:
    return {
        "run_id": run_info.get("run_id"),
        "as_of": raw["as_of"],
        "started_at": run_info.get("started_at"),
        "finished_at": run_info.get("finished_at"),
        "generated_at": datetime.now().isoformat(timespec="seconds"),
        "cohortscan_version": __version__,
        "parameters": raw["parameters"],
        "criteria": [{"id": c.id, "kind": c.kind, "wording": c.wording} for c in trial.criteria],
        # the trial version: sha256 of every rule file used (run.json's provenance), so that a
        # network can check that every site ran the same criteria (pipelines/network)
        "provenance": dict(run_info.get("provenance") or {}),
    }


def write_feasibility(
    con: duckdb.DuckDBPyConnection,
    trial: Trial,
    run_info: Mapping[str, Any],
    json_path: Path,
    html_path: Path,
    min_cell_count: int = DEFAULT_MIN_CELL_COUNT,
) -> dict[str, Any]:
    """Write feasibility.json and feasibility.html (atomically); return the JSON content."""
    from pipelines.exports import report_html, screening
    from pipelines.files import write_json, write_text

    report = build_report(collect(con, trial), run_info, trial, min_cell_count)
    report["recruitment"] = screening.recruitment_section(screening.screening_log(con, trial), min_cell_count)
    write_json(json_path, report)
    write_text(html_path, report_html.feasibility_html(report))
    return report
