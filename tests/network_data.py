"""Three small hospitals for the network tests: their feasibility reports and the truth.

Each hospital is the cohort of tests/cohort_data.py with its own layout (one site id per
hospital), evaluated on the frozen mini trial and reported by `pipelines.exports.feasibility`
as the site would send it. `pooled()` evaluates the three together: the true network
counts that no one outside the sites may see.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from pipelines.exports import feasibility
from pipelines.exports.suppression import Equation, propagate_bounds
from pipelines.network.bounds import count_leaves, label_bounds, site_cells
from pipelines.warehouse.connect import connect
from tests import cohort_data
from tests.unit.exports.test_feasibility import RUN_INFO

HOSPITALS: dict[str, dict[str, dict[str, int]]] = {
    "north": {"SITE_N": {"eligible": 30, "potential": 12, "low_egfr": 3, "no_disease": 15, "deceased": 1}},
    "east": {"SITE_E": {"eligible": 14, "potential": 2, "no_disease": 20}},
    "south": {"SITE_S": {"eligible": 5, "potential": 1, "no_disease": 12, "deceased": 2}},
}
PROVENANCE = {
    "cohort/cohort_funnel.sql": "1" * 64,
    "trials/mini_trial/trial.toml": "2" * 64,
    "trials/mini_trial/criteria/crit_inc_renal.sql": "3" * 64,
}


def _run_info(layout: Mapping[str, Mapping[str, int]]) -> dict[str, Any]:
    patients = sum(sum(kinds.values()) for kinds in layout.values())
    return {**RUN_INFO, "staging_rows": {"stg_patients": patients, "stg_labs": 55}, "provenance": PROVENANCE}


@cache
def _raw(layout_json: str) -> tuple[dict[str, Any], Any]:
    layout = json.loads(layout_json)
    con = connect(":memory:")
    try:
        cohort_data.build(con, layout)
        trial = cohort_data.evaluate_mini(con)
        return feasibility.collect(con, trial), trial
    finally:
        con.close()


def report(layout: Mapping[str, Mapping[str, int]], min_cell_count: int = 11) -> dict[str, Any]:
    """The feasibility.json content of one hospital (a fresh copy, JSON round-tripped)."""
    raw, trial = _raw(json.dumps(layout, sort_keys=True))
    built = feasibility.build_report(raw, _run_info(layout), trial, min_cell_count)
    return json.loads(json.dumps(copy.deepcopy(built), default=str))


def truth(layout: Mapping[str, Mapping[str, int]]) -> tuple[dict[tuple, int], Any]:
    """Every unsuppressed cell of `layout` (keys as in `pipelines.exports.feasibility`)."""
    raw, _ = _raw(json.dumps(layout, sort_keys=True))
    cells, _ = feasibility.cells_and_equations(raw, _run_info(layout))
    return cells, raw


def pooled() -> dict[str, dict[str, int]]:
    """The three hospitals as one layout."""
    return {site: kinds for layout in HOSPITALS.values() for site, kinds in layout.items()}


def write_reports(folder: Path, reports: Mapping[str, dict[str, Any]]) -> list[str]:
    """Write each report as `folder/<name>/feasibility.json`; return `NAME=PATH` arguments."""
    arguments = []
    for name, content in reports.items():
        (folder / name).mkdir(parents=True, exist_ok=True)
        path = folder / name / "feasibility.json"
        path.write_text(json.dumps(content, indent=2), encoding="utf-8")
        arguments.append(f"{name}={path}")
    return arguments


def published_cells(merged: dict) -> dict[tuple, object]:
    """Every network total of network.json, keyed as the sites' cells are."""
    out: dict[tuple, object] = {}
    criteria = [c["id"] for c in merged["run"]["criteria"] if c["kind"] == "inclusion"]
    groups = [("overall", "all", "overall")] + [("disease", d, d) for d in merged["funnel"]["by_disease"]]
    for grouping, group, _ in groups:

        def pick(section: str, grouping=grouping, group=group):
            part = merged[section]
            return part["overall"] if grouping == "overall" else part["by_disease"][group]

        for row in pick("funnel"):
            for m in ("remaining", "removed", "unknown"):
                out[("funnel", grouping, group, row["step"], m)] = row[m]
        for status in ("eligible", "potential", "ineligible"):
            out[("status", grouping, group, status)] = pick("candidates_by_status")[status]
        rows = {r["criterion_id"]: r for r in pick("potential_reasons")}
        for c in criteria:
            for m in ("n_unknown", "n_only_open"):
                out[("reasons", grouping, group, c, m)] = rows.get(c, {}).get(m, 0)
    for path, value in count_leaves(merged.get("recruitment") or {}):
        out[("recruitment", *path)] = value
    return out


def shown_bounds(value, threshold: int) -> tuple[float, float]:
    """[low, high] of a cell of network.json: a number, a range, '<t' or '*'."""
    if isinstance(value, list):
        return (value[0], math.inf if value[1] is None else value[1])
    return label_bounds(value, threshold)


def reader(merged: dict, reports: list[dict], removed: int, own_report: bool) -> dict[tuple, tuple]:
    """What a reader of network.json and the other sites' reports works out about one site.

    Every site's equations are known (the method is public); the removed site's counts
    start unknown, or at its own report's values when `own_report`.
    """
    threshold = merged["suppression"]["min_cell_count"]
    start: dict[tuple, tuple] = {}
    equations: list[Equation] = []
    all_cells = [site_cells(r) for r in reports]
    for i, cells in enumerate(all_cells):
        known = cells.start()
        for key, bounds in known.items():
            start[("site", i, *key)] = bounds if (i != removed or own_report) else (0, math.inf)
        equations += [
            Equation(("site", i, *e.total), tuple(("site", i, *p) for p in e.parts)) for e in cells.equations
        ]
    for key, value in published_cells(merged).items():
        start[("net", *key)] = shown_bounds(value, threshold)
        parts = tuple(("site", i, *key) for i, c in enumerate(all_cells) if key in c.shown)
        equations.append(Equation(("net", *key), parts))
    found = propagate_bounds(start, equations)
    return {key[2:]: b for key, b in found.items() if key[:2] == ("site", removed)}
