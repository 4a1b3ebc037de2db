"""network.html: the network report as a page that opens from disk with no network.

The same approach as feasibility.html (`pipelines.report_html`): plotly.js inlined, a
Content Security Policy that forbids any request, charts drawn from network.json's
values only. An exact total is a bar; a range [low, high] is a solid bar up to `low`
and a pale bar from `low` to `high` (an arrow when there is no upper bound); a hidden
total (`<11`, `*`) is a gap with its label, never a number in the chart's data.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from pipelines.exports import report_html

EXACT, RANGE = "#486581", "#bcccdc"


def _low_high(value: Any) -> tuple[int | None, int | None]:
    """(low, extra up to high) of a cell for the chart; a hidden cell has neither."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value, 0
    if isinstance(value, list):
        low, high = value
        return low, (None if high is None else high - low)
    return None, None


def text(value: Any) -> str:
    """A cell as a page shows it: 120, '<11', '*', '95 to 110' or 'at least 95'."""
    if isinstance(value, list):
        low, high = value
        return f"at least {low}" if high is None else f"{low} to {high}"
    return str(value)


def range_funnel_chart(rows: list[dict[str, Any]], title: str, div_id: str = "chart-funnel") -> str:
    """Patients remaining after each step: exact bars, ranges as ranges, hidden as gaps."""
    labels = [f"{r['step_number']}. {r['step']}" for r in rows][::-1]
    cells = [r["remaining"] for r in rows][::-1]
    lows, extras = zip(*(_low_high(c) for c in cells), strict=True) if cells else ((), ())
    fig = go.Figure(
        [
            go.Bar(
                name="known (exact, or the low end of a range)",
                orientation="h",
                y=labels,
                x=list(lows),
                marker={"color": EXACT},
                hovertext=[text(c) for c in cells],
                hovertemplate="%{y}: %{hovertext}<extra></extra>",
            ),
            go.Bar(
                name="range: up to the high end",
                orientation="h",
                y=labels,
                x=[e if e else None for e in extras],
                marker={"color": RANGE},
                hovertext=[text(c) for c in cells],
                hovertemplate="%{y}: %{hovertext}<extra></extra>",
            ),
        ]
    )
    for label, cell, low, extra in zip(labels, cells, lows, extras, strict=True):
        if low is None:
            fig.add_annotation(x=0, y=label, text=f"{cell} (suppressed)", showarrow=False, xanchor="left")
        elif isinstance(cell, list) and extra is None:
            fig.add_annotation(x=low, y=label, text=f"{text(cell)} →", showarrow=False, xanchor="left")
    fig.update_layout(
        title=title, barmode="stack", xaxis_title="patients remaining", legend={"orientation": "h"}
    )
    return report_html._div(fig, div_id, height=max(380, 40 * len(rows) + 140))


def network_html(report: dict[str, Any]) -> str:
    """The network page (from the content of network.json)."""
    site_funnels = {name: site["funnel"] for name, site in report["by_site"].items()}
    charts = {
        "funnel": range_funnel_chart(
            report["funnel"]["overall"], "Patients remaining after each step, network"
        ),
        "sites": report_html.site_funnel_chart(
            site_funnels, "Each site's contribution: remaining after each step", "chart-site-funnel"
        ),
    }
    return (
        report_html._environment()
        .get_template("network.html.j2")
        .render(n=report, charts=charts, text=text, plotly_js=get_plotlyjs())
    )
