"""Merge the sites' feasibility.json into one network report (network.json / .html).

1. **Same trial version.** Every site must report on the same trial, with the same rule
   files (the sha256 of every SQL, configuration and value-set file, `run.provenance`
   of feasibility.json, or run.json's `provenance` beside it) and the same as-of date.
   The first difference is refused with one line naming the site's file and the rule
   file (`SiteMismatch`, exit status 3).
2. **Sum what is shown.** One system of cells and equations holds every site's report
   (its cells and its own equations, `pipelines.network.bounds`) and the network totals
   (each the sum of the sites' cells). Interval propagation
   (`pipelines.exports.suppression.propagate_bounds`) gives each total as an exact count when
   the sites' parts are known (shown, or worked out from the site's own equations), and
   as a range [low, high] otherwise.
3. **Suppress again.** The network's page is a table of its own (totals and each site's
   contribution, tied by the network's equations), suppressed with the network's
   threshold: a total of 1 .. t - 1 is hidden as `<t`, and complementary cells until
   no hidden total can be worked out from what the page shows.

Every network figure is computed from the sites' suppressed reports only, so the totals
minus the other sites' reports give back no more than the missing site's own report
shows (tests/unit/network/test_merge.py checks this by differencing).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pipelines import __version__
from pipelines.errors import ParameterError, SiteMismatch, SiteReportRefused
from pipelines.exports.suppression import (
    COMPLEMENTARY,
    Bounds,
    Equation,
    Key,
    Suppression,
    propagate_bounds,
    small_label,
    suppress,
)
from pipelines.network.bounds import (
    FUNNEL_MEASURES,
    OPTIONAL_SECTIONS,
    REASON_MEASURES,
    STATUSES,
    SiteCells,
    group_equations,
    label_bounds,
    partition_equations,
    rebuild,
    site_cells,
)

SUMMED = ("funnel", "status", "reasons")

METHOD = (
    "Each site's report is read with its own equations (a '<t' count is 1 to t - 1; a '*' "
    "count is at least t and bounded by the site's funnel arithmetic). A network total is "
    "exact when every site's part is known and a range [low, high] otherwise (high empty: "
    "no upper bound). Totals from 1 to {small_max} are shown as '<{t}', and further cells "
    "as '*' until no hidden total can be worked out from this page."
)


@dataclass(frozen=True)
class Site:
    """One site's report as given on the command line."""

    name: str
    path: Path
    report: dict[str, Any]
    provenance: dict[str, str]

    @property
    def cells(self) -> SiteCells:
        return site_cells(self.report)


def read_sites(arguments: Sequence[str]) -> list[Site]:
    """Read every `PATH` or `NAME=PATH` argument; names default to the report's site ids."""
    sites = [read_site(a) for a in arguments]
    names = [s.name for s in sites]
    return [
        s if names.count(s.name) == 1 else Site(str(s.path), s.path, s.report, s.provenance) for s in sites
    ]


def read_site(argument: str) -> Site:
    """One site's feasibility.json, checked to be a report this merge can read."""
    name, _, text = (
        argument.partition("=") if "=" in argument and not Path(argument).exists() else ("", "", argument)
    )
    path = Path(text).expanduser()
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SiteReportRefused(f"{path}: no such file (expected a site's feasibility.json)") from None
    except (OSError, UnicodeDecodeError) as err:
        raise SiteReportRefused(f"{path}: cannot be read ({err})") from None
    except json.JSONDecodeError as err:
        raise SiteReportRefused(
            f"{path} line {err.lineno} column {err.colno}: is not JSON ({err.msg})"
        ) from None
    if not isinstance(report, dict) or report.get("report") != "feasibility":
        kind = report.get("report") if isinstance(report, dict) else type(report).__name__
        raise SiteReportRefused(
            f"{path}: is not a feasibility report (report {kind!r}, expected 'feasibility')"
        )
    try:
        cells = site_cells(report)
    except KeyError as err:
        raise SiteReportRefused(
            f"{path}: lacks {err} (expected feasibility.json as cohortscan writes it)"
        ) from None
    except (TypeError, IndexError, AttributeError) as err:
        raise SiteReportRefused(
            f"{path}: has an unexpected layout ({err}; expected feasibility.json as cohortscan writes it)"
        ) from None
    except ValueError as err:
        raise SiteReportRefused(f"{path}: {err}") from None
    provenance = _provenance(path, report)
    return Site(name or "+".join(cells.groups["site"]) or path.parent.name, path, report, provenance)


def _provenance(path: Path, report: dict[str, Any]) -> dict[str, str]:
    recorded = report["run"].get("provenance")
    beside = path.parent / "run.json"
    if not recorded and beside.is_file():
        try:
            recorded = json.loads(beside.read_text(encoding="utf-8")).get("provenance")
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError) as err:
            raise SiteReportRefused(f"{beside}: cannot be read for the trial version ({err})") from None
    if not recorded:
        raise SiteReportRefused(
            f"{path}: records no trial version (no run.provenance, no run.json beside it); "
            "expected the sha256 of the rule files: scan again with this cohortscan"
        )
    return dict(recorded)


def trial_version(provenance: dict[str, str]) -> str:
    """One sha256 for a set of rule files: of the sorted `path sha256` lines."""
    lines = "".join(f"{name} {digest}\n" for name, digest in sorted(provenance.items()))
    return hashlib.sha256(lines.encode()).hexdigest()


def check_same_version(sites: Sequence[Site]) -> None:
    """Refuse, in one line, the first site whose trial, rule files or as-of date differ."""
    first = sites[0]
    for site in sites[1:]:
        mine, theirs = site.report["trial"]["id"], first.report["trial"]["id"]
        if mine != theirs:
            raise SiteMismatch(f"{site.path}: reports on trial {mine!r}, {first.path} on {theirs!r}")
        for name in sorted(set(site.provenance) | set(first.provenance)):
            a, b = site.provenance.get(name), first.provenance.get(name)
            if a == b:
                continue
            if a is None or b is None:
                where = f"is missing from {site.path}" if a is None else f"is only in {site.path}"
                raise SiteMismatch(
                    f"{site.path}: rule file {name} {where}, not in {first.path}: another trial version"
                )
            raise SiteMismatch(
                f"{site.path}: rule file {name} differs from {first.path}'s "
                f"(sha256 {a[:12]}... vs {b[:12]}...): every site must run the same trial version"
            )
        mine, theirs = site.report["run"]["as_of"], first.report["run"]["as_of"]
        if mine != theirs:
            raise SiteMismatch(
                f"{site.path}: as-of date {mine} differs from {first.path}'s {theirs}: "
                "every site must screen on the same date (scan again with --as-of)"
            )


# ---------------------------------------------------------------- the joint system


@dataclass(frozen=True)
class System:
    """Every site's cells and the network totals, their equations and bounds."""

    cells: list[SiteCells]
    keys: list[tuple]  # the network totals, without their "net" prefix
    diseases: list[str]
    equations: list[Equation]
    bounds: dict[Key, Bounds]


def build_system(sites: Sequence[Site]) -> System:
    """Sites' cells as ("site", i, ...), totals as ("net", ...), and all the equations."""
    cells = [s.cells for s in sites]
    for site, c in zip(sites, cells, strict=True):
        try:
            propagate_bounds(c.start(), c.equations)
        except ValueError as err:
            raise SiteReportRefused(f"{site.path}: its counts contradict each other ({err})") from None
    start: dict[Key, Bounds] = {}
    equations: list[Equation] = []
    for i, c in enumerate(cells):
        start.update({("site", i, *k): b for k, b in c.start().items()})
        equations += [
            Equation(("site", i, *e.total), tuple(("site", i, *p) for p in e.parts)) for e in c.equations
        ]
    keys = list(dict.fromkeys(k for c in cells for k in c.shown if _summed(k)))
    for key in keys:
        start[("net", *key)] = (0, math.inf)
        parts = tuple(("site", i, *key) for i, c in enumerate(cells) if key in c.shown)
        equations.append(Equation(("net", *key), parts))
    diseases = list(dict.fromkeys(d for c in cells for d in c.groups["disease"]))
    steps = [s for s, _ in cells[0].steps]
    for grouping, group in [("overall", "all")] + [("disease", d) for d in diseases]:
        equations += group_equations(("net",), grouping, group, steps)
    if diseases and all("disease" in c.partitions for c in cells):
        equations += partition_equations(
            ("net",), dict.fromkeys(("net", *k) for k in keys), "disease", diseases
        )
    # each site is consistent (checked above) and the totals are free: no contradiction here
    bounds = propagate_bounds(start, [e for e in equations if all(k in start for k in (e.total, *e.parts))])
    return System(cells, keys, diseases, equations, bounds)


def _summed(key: tuple) -> bool:
    return (key[0] in SUMMED and key[1] in ("overall", "disease")) or key[0] in OPTIONAL_SECTIONS


# ---------------------------------------------------------------- suppress again


@dataclass(frozen=True)
class Published:
    """What network.json shows for each cell of the page."""

    suppression: Suppression
    values: dict[Key, int]
    ranges: dict[Key, Bounds]
    shown: dict[Key, Any]  # site cells as their site showed them

    def show(self, key: Key) -> int | str | list[int | None]:
        if key in self.suppression.primary:
            return self.suppression.small_label
        if key in self.suppression.complementary:
            return COMPLEMENTARY
        if key in self.shown:
            return self.shown[key]
        if key in self.ranges:
            low, high = self.ranges[key]
            return [int(low), None if math.isinf(high) else int(high)]
        return self.values[key]


def resuppress(system: System, min_cell_count: int) -> Published:
    """Suppress the network's page (totals and sites' contributions) with its equations."""
    values: dict[Key, int] = {}
    ranges: dict[Key, Bounds] = {}
    shown: dict[Key, Any] = {}
    for key in system.keys:
        low, high = system.bounds[("net", *key)]
        small_range = low >= 1 and high <= min_cell_count - 1
        values[("net", *key)] = int(low) if low == high or small_range else 0
        if low != high and not small_range:
            ranges[("net", *key)] = (low, high)
    for i, c in enumerate(system.cells):
        for key, value in c.shown.items():
            if (key[0] in SUMMED and key[1] == "overall") or key[0] in OPTIONAL_SECTIONS:
                site_key = ("site", i, *key)
                values[site_key] = value if isinstance(value, int) else 0
                if not isinstance(value, int):
                    ranges[site_key] = label_bounds(value, c.min_cell_count)
                    shown[site_key] = value
    equations = [e for e in system.equations if all(k in values for k in (e.total, *e.parts))]
    steps = system.cells[0].steps
    ends = (steps[0][0], steps[-1][0])

    def cost(key: Key) -> int:
        if key[0] == "site":
            return 0
        headline = key[1] == "funnel" and key[5] == "remaining" and key[4] in ends
        return 10 * headline + 4 * (key[2] == "overall") + 2 * (key[1] == "status") + (key[-1] == "removed")

    hidden = suppress(values, equations, min_cell_count, cost=cost, ranges=ranges)
    return Published(hidden, values, ranges, shown)


# ---------------------------------------------------------------- network.json


def merge(sites: Sequence[Site], min_cell_count: int | None = None) -> dict[str, Any]:
    """The content of network.json for `sites` (checked to share one trial version)."""
    if not sites:
        raise ParameterError("a network merge needs at least one site's feasibility.json")
    check_same_version(sites)
    system = build_system(sites)
    floor = max(c.min_cell_count for c in system.cells)
    threshold = floor if min_cell_count is None else min_cell_count
    if threshold < floor:
        raise ParameterError(
            f"--min-cell-count {threshold} is below a site's threshold {floor} (expected {floor} or more)"
        )
    page = resuppress(system, threshold)
    first = sites[0].report
    net = _Sections(system, lambda key: page.show(("net", *key)))
    return {
        "report": "network_feasibility",
        "trial": first["trial"],
        "trial_version": {
            "sha256": trial_version(sites[0].provenance),
            "rule_files": len(sites[0].provenance),
        },
        "as_of": first["run"]["as_of"],
        "generated_at": datetime.now().isoformat(timespec="seconds"),
        "cohortscan_version": __version__,
        "suppression": {
            "min_cell_count": threshold,
            "small": small_label(threshold),
            "complementary": COMPLEMENTARY,
            "method": METHOD.format(small_max=threshold - 1, t=threshold),
            "cells_hidden": {
                "small": sum(k[0] == "net" for k in page.suppression.primary),
                "complementary": len(page.suppression.complementary),
            },
            "ranges": sum(k[0] == "net" for k in page.ranges),
        },
        "sites": [_site_summary(s, c) for s, c in zip(sites, system.cells, strict=True)],
        "funnel": {"overall": net.funnel("overall", "all"), "by_disease": net.by_disease(net.funnel)},
        "candidates_by_status": {
            "overall": net.statuses("overall", "all"),
            "by_disease": net.by_disease(net.statuses),
        },
        "potential_reasons": {
            "overall": net.reasons("overall", "all"),
            "by_disease": net.by_disease(net.reasons),
        },
        **_optional(sites, lambda section, path: page.show(("net", section, *path))),
        "by_site": {s.name: _contribution(system, page, i, s) for i, s in enumerate(sites)},
        "run": {"criteria": first["run"]["criteria"], "parameters": first["run"].get("parameters", {})},
    }


class _Sections:
    """Funnel, status and reason rows of one table of cells (network or one site)."""

    def __init__(self, system: System, show) -> None:
        self.system, self.show = system, show
        self.steps = system.cells[0].steps
        self.criteria = system.cells[0].criteria

    def by_disease(self, build) -> dict[str, Any]:
        return {d: build("disease", d) for d in self.system.diseases}

    def funnel(self, grouping: str, group: str) -> list[dict[str, Any]]:
        return [
            {
                "step_number": n,
                "step": step,
                "kind": kind,
                **{m: self.show(("funnel", grouping, group, step, m)) for m in FUNNEL_MEASURES},
            }
            for n, (step, kind) in enumerate(self.steps)
        ]

    def statuses(self, grouping: str, group: str) -> dict[str, Any]:
        row = {s: self.show(("status", grouping, group, s)) for s in STATUSES}
        row["total"] = self.show(("funnel", grouping, group, self.steps[0][0], "remaining"))
        return row

    def reasons(self, grouping: str, group: str) -> list[dict[str, Any]]:
        rows = [
            {"criterion_id": c, **{m: self.show(("reasons", grouping, group, c, m)) for m in REASON_MEASURES}}
            for c in self.criteria
        ]
        rows = [r for r in rows if r["n_unknown"] != 0]
        return sorted(rows, key=lambda r: _rank(r["n_unknown"]), reverse=True)


def _rank(value: Any) -> float:
    """A shown cell's order for sorting: its value, or the low end of what it may be."""
    if isinstance(value, list):
        return value[0]
    return value if isinstance(value, int) else label_bounds(value, 1)[0]


def _optional(sites: Sequence[Site], show) -> dict[str, Any]:
    out = {}
    for section in OPTIONAL_SECTIONS:
        nodes = [s.report[section] for s in sites if s.report.get(section) is not None]
        if nodes:
            out[section] = rebuild(nodes, lambda path, section=section: show(section, path))
    return out


def _contribution(system: System, page: Published, i: int, site: Site) -> dict[str, Any]:
    """One site's overall counts as its report shows them (and as this page hides them)."""
    rows = _Sections(system, lambda key: page.show(("site", i, *key)))
    return {
        "funnel": rows.funnel("overall", "all"),
        "candidates_by_status": rows.statuses("overall", "all"),
        "potential_reasons": rows.reasons("overall", "all"),
        **_optional([site], lambda section, path: page.show(("site", i, section, *path))),
    }


def _site_summary(site: Site, cells: SiteCells) -> dict[str, Any]:
    run = site.report["run"]
    return {
        "name": site.name,
        "file": str(site.path),
        "as_of": run["as_of"],
        "run_id": run.get("run_id"),
        "generated_at": run.get("generated_at"),
        "min_cell_count": cells.min_cell_count,
        "cells_hidden": site.report["suppression"].get("cells_hidden"),
        "trial_version": trial_version(site.provenance),
    }


def write_network(arguments: Sequence[str], out: Path, min_cell_count: int | None = None) -> dict[str, Any]:
    """Read, check and merge the sites' reports; write network.json and network.html."""
    from pipelines.files import make_ordinary, write_json, write_text
    from pipelines.network.html import network_html

    report = merge(read_sites(arguments), min_cell_count)
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "network.json", report)
    write_text(out / "network.html", network_html(report))
    # Suppressed counts, meant to be shared: ordinary modes (the CLI's umask is private).
    for path in (out / "network.json", out / "network.html", *([out] if created else [])):
        make_ordinary(path)
    return report
