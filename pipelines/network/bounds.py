"""One site's feasibility.json read back as cells, equations and intervals.

A site's report shows each count as a number, as `<t` (a count from 1 to t - 1) or as
`*` (a complementary cell: a count of at least t, see `pipelines.exports.suppression`). The
counts are tied by the equations the site's suppression used (`pipelines.exports.feasibility`):
remaining before a step = remaining after it + removed at it; eligible + potential +
ineligible = all patients; eligible + potential = remaining after the last step;
ineligible = the sum of the removed; the groups of a partition (sites, and diseases when
no patient has two) add up to the overall; rows after staging of stg_patients = all
patients. This module rebuilds exactly those cells and equations from the JSON alone,
so that interval propagation (`pipelines.exports.suppression.propagate_bounds`) bounds every
hidden cell by the site's own arithmetic: what a reader of that report can infer, no
more.

An optional section of counts the report may carry (`recruitment`, the screening log's
funnel) is read generically: every integer or suppression label under it is a cell keyed
by its path; its only bounds are its labels (no equation is assumed for it).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from pipelines.exports.suppression import COMPLEMENTARY, Bounds, Equation, Key

FUNNEL_MEASURES = ("remaining", "removed", "unknown")
STATUSES = ("eligible", "potential", "ineligible")
REASON_MEASURES = ("n_unknown", "n_only_open")
OPTIONAL_SECTIONS = ("recruitment",)
SMALL = re.compile(r"^<(\d+)$")
# Keys of an optional section that name a row rather than count patients.
IDENTITY_SUFFIXES = ("_number", "_id", "ordinal", "order", "rank", "position", "index")

Shown = int | str  # a count as a report shows it: 12, '<11' or '*'
GROUPINGS = {"site": "by_site", "disease": "by_disease"}


@dataclass(frozen=True)
class SiteCells:
    """One site's report as cells (shown values) and the equations that tie them."""

    shown: dict[Key, Shown]
    equations: list[Equation]
    min_cell_count: int
    steps: list[tuple[str, str]]
    criteria: list[str]
    groups: dict[str, list[str]]
    partitions: list[str]

    def start(self) -> dict[Key, Bounds]:
        """Each cell's bounds before any equation: exact, [1, t - 1] or [t, inf)."""
        return {key: label_bounds(value, self.min_cell_count) for key, value in self.shown.items()}


def label_bounds(value: Any, min_cell_count: int) -> Bounds:
    """[low, high] of a shown count: n is [n, n], '<t' is [1, t - 1], '*' is [t, inf)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return (value, value)
    if isinstance(value, str):
        small = SMALL.match(value)
        if small:
            return (1, int(small.group(1)) - 1)
        if value == COMPLEMENTARY:
            return (min_cell_count, math.inf)
    raise ValueError(f"{value!r} is not a count (expected a whole number >= 0, '<N' or '{COMPLEMENTARY}')")


def is_shown_count(value: Any) -> bool:
    """True for what a report may hold as a count: a whole number, '<N' or '*'."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (
        isinstance(value, str) and (value == COMPLEMENTARY or SMALL.match(value) is not None)
    )


def site_cells(report: Mapping[str, Any]) -> SiteCells:
    """The cells and equations of one feasibility.json (see the module docstring)."""
    rows = report["funnel"]["overall"]
    steps = [(r["step"], r["kind"]) for r in rows]
    criteria = [c["id"] for c in report["run"]["criteria"] if c["kind"] == "inclusion"]
    groups = {g: list(report["funnel"].get(f"by_{g}", {})) for g in GROUPINGS}
    shown: dict[Key, Shown] = {}
    equations: list[Equation] = []
    for grouping, group in [("overall", "all")] + [(g, v) for g, vs in groups.items() for v in vs]:
        _read_group(report, grouping, group, criteria, shown)
        equations += group_equations((), grouping, group, [s for s, _ in steps])
    partitions = _partitions(report, groups, shown, steps[0][0])
    for grouping in partitions:
        equations += partition_equations((), shown, grouping, groups[grouping])
    patients = ("funnel", "overall", "all", "all_patients", "remaining")
    staged = (report.get("data_quality") or {}).get("staging_rows") or {}
    if "stg_patients" in staged and patients in shown:
        shown[("dq", "staging", "stg_patients")] = staged["stg_patients"]
        equations.append(Equation(patients, (("dq", "staging", "stg_patients"),)))
    for section in OPTIONAL_SECTIONS:
        if report.get(section) is not None:
            shown.update({(section, *path): value for path, value in count_leaves(report[section])})
    for value in shown.values():
        label_bounds(value, 1)  # every cell must be a count: fail here, naming the value
    threshold = int(report["suppression"]["min_cell_count"])
    return SiteCells(shown, equations, threshold, steps, criteria, groups, partitions)


def _read_group(
    report: Mapping[str, Any], grouping: str, group: str, criteria: list[str], shown: dict[Key, Shown]
) -> None:
    def section(name: str) -> Any:
        part = report[name]
        return part["overall"] if grouping == "overall" else part[GROUPINGS[grouping]][group]

    for row in section("funnel"):
        for measure in FUNNEL_MEASURES:
            shown[("funnel", grouping, group, row["step"], measure)] = row[measure]
    statuses = section("candidates_by_status")
    for status in STATUSES:
        shown[("status", grouping, group, status)] = statuses[status]
    # a criterion unknown for no potential patient is left out of the report: it is 0
    reasons = {r["criterion_id"]: r for r in section("potential_reasons")}
    for criterion in criteria:
        for measure in REASON_MEASURES:
            shown[("reasons", grouping, group, criterion, measure)] = reasons.get(criterion, {}).get(
                measure, 0
            )


def group_equations(prefix: tuple, grouping: str, group: str, steps: list[str]) -> list[Equation]:
    """The funnel and status equations of one group (as `pipelines.exports.feasibility` ties them)."""

    def f(step: str, measure: str) -> tuple:
        return (*prefix, "funnel", grouping, group, step, measure)

    def s(status: str) -> tuple:
        return (*prefix, "status", grouping, group, status)

    equations = [
        Equation(f(a, "remaining"), (f(b, "remaining"), f(b, "removed"))) for a, b in pairwise(steps)
    ]
    equations.append(Equation(f(steps[0], "remaining"), tuple(s(x) for x in STATUSES)))
    equations.append(Equation(f(steps[-1], "remaining"), (s("eligible"), s("potential"))))
    equations.append(Equation(s("ineligible"), tuple(f(step, "removed") for step in steps[1:])))
    return equations


def partition_equations(
    prefix: tuple, cells: Mapping[Key, Any], grouping: str, groups: list[str]
) -> list[Equation]:
    """Each overall cell = the sum of the same cell over the groups of `grouping`."""
    n = len(prefix)
    overall = [k for k in cells if k[n] in ("funnel", "status", "reasons") and k[n + 1] == "overall"]
    return [Equation(k, tuple((*prefix, k[n], grouping, g, *k[n + 3 :]) for g in groups)) for k in overall]


def _partitions(
    report: Mapping[str, Any], groups: dict[str, list[str]], shown: Mapping[Key, Shown], first: str
) -> list[str]:
    """The groupings whose groups add up to the overall.

    The report says so (`suppression.partitions`, written since network merges exist);
    an older report is trusted only where every group's patient count is shown and they
    add up: a wrong equation would give wrong bounds, a missing one only wider bounds.
    """
    declared = report["suppression"].get("partitions")
    if declared is not None:
        return [g for g in declared if groups.get(g)]
    found = []
    for grouping, names in groups.items():
        counts = [shown[("funnel", grouping, g, first, "remaining")] for g in names]
        total = shown[("funnel", "overall", "all", first, "remaining")]
        if names and all(isinstance(c, int) for c in [*counts, total]) and sum(counts) == total:
            found.append(grouping)
    return found


# ---------------------------------------------------------------- optional sections


def is_identity(key: str) -> bool:
    """A key that names a row (`step_number`, `criterion_id`) rather than counting patients."""
    return key.endswith(IDENTITY_SUFFIXES)


def row_id(row: Mapping[str, Any], position: int) -> str:
    """A row of a list, named by its fields that are not counts (`step=consented`)."""
    names = [
        f"{k}={v}"
        for k, v in row.items()
        if not isinstance(v, dict | list | float) and (is_identity(k) or not is_shown_count(v))
    ]
    return "|".join(names) or f"#{position}"


def count_leaves(node: Any, path: tuple = ()) -> Iterator[tuple[tuple, Shown]]:
    """Every count under `node` with its path (dict keys and row names)."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            if isinstance(value, Mapping | list):
                yield from count_leaves(value, (*path, key))
            elif not is_identity(key) and is_shown_count(value):
                yield (*path, key), value
    elif isinstance(node, list):
        for position, item in enumerate(node):
            if isinstance(item, Mapping):
                yield from count_leaves(item, (*path, row_id(item, position)))


def rebuild(nodes: list[Any], value_of, path: tuple = ()) -> Any:
    """The union of the sites' structures, every count replaced by `value_of(path)`.

    Texts (a step's name) are kept; numbers that are not counts (a percentage) are
    dropped: a derived figure recomputed from hidden counts would escape suppression.
    """
    first = nodes[0]
    if isinstance(first, Mapping):
        out: dict[str, Any] = {}
        for key in dict.fromkeys(k for n in nodes if isinstance(n, Mapping) for k in n):
            values = [n[key] for n in nodes if isinstance(n, Mapping) and key in n]
            value = values[0]
            if isinstance(value, Mapping | list):
                out[key] = rebuild(values, value_of, (*path, key))
            elif not is_identity(key) and is_shown_count(value):
                out[key] = value_of((*path, key))
            elif not isinstance(value, float):
                out[key] = value
        return out
    rows: dict[str, list[Mapping[str, Any]]] = {}
    for node in nodes:
        for position, item in enumerate(node if isinstance(node, list) else []):
            if isinstance(item, Mapping):
                rows.setdefault(row_id(item, position), []).append(item)
    return [rebuild(items, value_of, (*path, name)) for name, items in rows.items()]
