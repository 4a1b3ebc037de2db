"""HTML pages of the feasibility report and of a what-if, from their JSON content.

Self-contained: plotly.js is inlined (no CDN), styles are inline, and a Content
Security Policy forbids any request, so a page opens from disk with no network. Charts
are built from the JSON's values only: a suppressed count is a gap in a chart, labelled
with its `<11` or `*`, never a number hidden in the chart's data.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

TEMPLATE = "plotly_white"
CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["sendDataToCloud"]}
STATUS_COLOURS = {"eligible": "#2f855a", "potential": "#d69e2e"}
VALIDATION_COLUMNS = ("stage", "table", "check", "severity", "unexpected_count", "element_count")


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("pipelines.exports", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _number(value: Any) -> int | None:
    """A shown count for a chart; a suppressed one ('<11', '*') is a gap."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _div(fig: go.Figure, div_id: str, height: int = 420) -> str:
    fig.update_layout(template=TEMPLATE, height=height, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return pio.to_html(fig, full_html=False, include_plotlyjs=False, div_id=div_id, config=CONFIG)


def funnel_chart(rows: list[dict[str, Any]], title: str, div_id: str = "chart-funnel") -> str:
    """The attrition funnel: patients remaining after each step."""
    labels = [f"{r['step_number']}. {r['step']}" for r in rows]
    fig = go.Figure(
        go.Funnel(
            y=labels,
            x=[_number(r["remaining"]) for r in rows],
            text=[str(r["remaining"]) for r in rows],
            textinfo="text",
            hovertemplate="%{y}: %{text} remaining<extra></extra>",
            marker={"color": "#486581"},
        )
    )
    for label, row in zip(labels, rows, strict=True):
        if _number(row["remaining"]) is None:
            fig.add_annotation(
                x=0.5, xref="paper", y=label, text=f"{row['remaining']} (suppressed)", showarrow=False
            )
    fig.update_layout(title=title)
    return _div(fig, div_id, height=max(360, 34 * len(rows)))


def status_by_group_chart(by_group: dict[str, dict[str, Any]], title: str, div_id: str) -> str:
    """Stacked bars: eligible and potential patients per group (e.g. per site)."""
    groups = [
        group
        if all(_number(by_group[group][s]) is not None for s in STATUS_COLOURS)
        else f"{group}<br>" + ", ".join(f"{s} {by_group[group][s]}" for s in STATUS_COLOURS)
        for group in by_group
    ]
    fig = go.Figure(
        [
            go.Bar(
                name=status,
                x=groups,
                y=[_number(by_group[g][status]) for g in by_group],
                text=[str(by_group[g][status]) for g in by_group],
                textposition="inside",
                marker={"color": colour},
            )
            for status, colour in STATUS_COLOURS.items()
        ]
    )
    fig.update_layout(title=title, barmode="stack", yaxis_title="patients")
    return _div(fig, div_id, height=380)


def reasons_chart(rows: list[dict[str, Any]], title: str, div_id: str = "chart-reasons") -> str:
    """Horizontal bars: how many potential patients have each inclusion unknown."""
    rows = list(reversed(rows))  # plotly draws the first bar at the bottom
    fig = go.Figure(
        go.Bar(
            orientation="h",
            y=[r["criterion_id"] for r in rows],
            x=[_number(r["n_unknown"]) for r in rows],
            text=[str(r["n_unknown"]) for r in rows],
            textposition="auto",
            marker={"color": "#d69e2e"},
        )
    )
    for row in rows:
        if _number(row["n_unknown"]) is None:
            fig.add_annotation(
                x=0,
                y=row["criterion_id"],
                text=f"{row['n_unknown']} (suppressed)",
                showarrow=False,
                xanchor="left",
            )
    fig.update_layout(title=title, xaxis_title="potential patients with this inclusion unknown")
    return _div(fig, div_id, height=max(260, 40 * len(rows) + 120))


def site_funnel_chart(by_site: dict[str, list[dict[str, Any]]], title: str, div_id: str) -> str:
    """Grouped bars: patients remaining after each step, one colour per site."""
    fig = go.Figure(
        [
            go.Bar(
                name=site,
                x=[r["step"] for r in rows],
                y=[_number(r["remaining"]) for r in rows],
                hovertext=[str(r["remaining"]) for r in rows],
                hovertemplate="%{x}: %{hovertext}<extra>" + site + "</extra>",
            )
            for site, rows in by_site.items()
        ]
    )
    fig.update_layout(title=title, barmode="group", yaxis_title="patients remaining", xaxis_tickangle=-40)
    return _div(fig, div_id, height=440)


def feasibility_html(report: dict[str, Any]) -> str:
    """The feasibility page for one run (from the content of feasibility.json)."""
    reasons = report["potential_reasons"]
    charts = {
        "funnel": funnel_chart(report["funnel"]["overall"], "Patients remaining after each step"),
        "sites": status_by_group_chart(
            report["candidates_by_status"]["by_site"], "Candidates by site", "chart-sites"
        ),
        "reasons": reasons_chart(reasons["overall"], "Unknown inclusions among potential patients"),
        "site_funnel": site_funnel_chart(
            report["funnel"]["by_site"], "Remaining after each step, by site", "chart-site-funnel"
        ),
    }
    reason_tables = [("Overall", reasons["overall"])] + [
        (f"Site {site}", rows) for site, rows in reasons["by_site"].items()
    ]
    return (
        _environment()
        .get_template("feasibility.html.j2")
        .render(
            r=report,
            charts=charts,
            reason_tables=reason_tables,
            validation_columns=_validation_columns(report),
            plotly_js=get_plotlyjs(),
        )
    )


def _validation_columns(report: dict[str, Any]) -> list[str]:
    checks = report["data_quality"]["validation"]["checks"]
    present = {k for c in checks for k in c}
    return [k for k in VALIDATION_COLUMNS if k in present]


def whatif_html(result: dict[str, Any]) -> str:
    """The what-if page: baseline and changed funnels side by side, and who changes."""
    fig = go.Figure(
        [
            go.Bar(
                name=name,
                orientation="h",
                y=[f"{r['step_number']}. {r['step']}" for r in reversed(result["funnel"])],
                x=[r[column] for r in reversed(result["funnel"])],
                text=[str(r[column]) for r in reversed(result["funnel"])],
                textposition="auto",
            )
            for name, column in (("baseline", "baseline_remaining"), ("what-if", "whatif_remaining"))
        ]
    )
    fig.update_layout(title="Patients remaining after each step", barmode="group")
    chart = _div(fig, "chart-funnel", height=max(380, 46 * len(result["funnel"])))
    return (
        _environment().get_template("whatif.html.j2").render(w=result, chart=chart, plotly_js=get_plotlyjs())
    )


def worklist_html(
    meta: dict[str, Any], rows: list[dict[str, Any]], columns: tuple[str, ...], log: list[dict[str, Any]]
) -> str:
    """The worklist page: the screening log's counts and the patients to act on, in a
    table sorted and filtered by a few lines of inline JavaScript (no library, no request)."""
    return (
        _environment()
        .get_template("worklist.html.j2")
        .render(r=meta, rows=rows, columns=columns, log=log, plotly_js="")
    )
