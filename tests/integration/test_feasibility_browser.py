"""feasibility.html and network.html opened from disk in headless Chromium (Debian's /usr/bin/chromium).

An integration test: it starts a real browser (about two seconds) and runs in CI, where
`make test` installs chromium first (scripts/ensure_chromium.sh). Playwright drives the
browser over its DevTools protocol; `playwright install` is never run. Checked: the
funnel chart is rendered (plotly's SVG inside #chart-funnel), the console shows no error,
and the page asks for nothing but itself (every request is recorded).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipelines.exports import feasibility
from pipelines.network.merge import write_network
from pipelines.warehouse.connect import connect
from tests import cohort_data, network_data
from tests.unit.exports.test_feasibility import RUN_INFO

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists() and not os.environ.get("CI"),
        reason="needs Debian's chromium: run `make chromium` (CI fails instead of skipping)",
    ),
]


@pytest.fixture(scope="module")
def report_page(tmp_path_factory) -> Path:
    """feasibility.html of the test cohort, written to a temporary folder."""
    folder = tmp_path_factory.mktemp("report")
    con = connect(":memory:")
    cohort_data.build(con)
    trial = cohort_data.evaluate_mini(con)
    page = folder / "feasibility.html"
    feasibility.write_feasibility(con, trial, RUN_INFO, folder / "feasibility.json", page)
    con.close()
    return page


@pytest.fixture(scope="module")
def network_page(tmp_path_factory) -> Path:
    """network.html of three hospitals (tests/network_data.py), with a recruitment section."""
    folder = tmp_path_factory.mktemp("network")
    reports = {name: network_data.report(layout) for name, layout in network_data.HOSPITALS.items()}
    reports["north"]["recruitment"] = {"overall": [{"step": "identified", "patients": 40}]}
    write_network(network_data.write_reports(folder, reports), folder / "out")
    return folder / "out" / "network.html"


def test_network_html_renders_ranges_offline_without_errors(network_page, tmp_path):
    found = _open(network_page, tmp_path, "#chart-funnel .main-svg", {"bars": "#chart-funnel .bars path"})
    assert found["plots"] == 2
    assert found["bars"] > 0, "the network funnel has drawn bars"
    assert found["heading"].startswith("Network feasibility:")
    assert found["problems"] == []
    assert found["requests"] == [network_page.as_uri()], "nothing but the file itself is requested"


def _open(page_path: Path, tmp_path: Path, ready: str, counts: dict[str, str]) -> dict:
    """Open a page in a fresh headless Chromium; what it requested, logged and drew."""
    sync_api = pytest.importorskip("playwright.sync_api")
    requests: list[str] = []
    problems: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True, args=FLAGS
        )
        try:
            page = browser.new_page()
            page.on("request", lambda request: requests.append(request.url))
            page.on("console", lambda msg: msg.type in ("error", "warning") and problems.append(msg.text))
            page.on("pageerror", lambda err: problems.append(str(err)))
            page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
            page.goto(page_path.as_uri(), wait_until="load")
            page.wait_for_selector(ready, timeout=15_000)
            found = {name: page.locator(selector).count() for name, selector in counts.items()}
            found["plots"] = page.locator(".js-plotly-plot").count()
            found["heading"] = page.locator("h1").inner_text()
        finally:
            browser.close()
    return {**found, "requests": requests, "problems": problems}


def test_feasibility_html_renders_the_funnel_offline_without_errors(report_page, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    requests: list[str] = []
    problems: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"),  # a fresh user-data-dir
            executable_path=str(CHROMIUM),
            headless=True,
            args=FLAGS,
        )
        try:
            page = browser.new_page()
            page.on("request", lambda request: requests.append(request.url))
            page.on("console", lambda msg: msg.type in ("error", "warning") and problems.append(msg.text))
            page.on("pageerror", lambda err: problems.append(str(err)))
            page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
            page.goto(report_page.as_uri(), wait_until="load")
            page.wait_for_selector("#chart-funnel .main-svg", timeout=15_000)
            bars = page.locator("#chart-funnel .funnellayer path").count()
            plots = page.locator(".js-plotly-plot").count()
            heading = page.locator("h1").inner_text()
        finally:
            browser.close()
    assert plots == 4
    assert bars > 0, "the funnel has drawn bars"
    assert heading.startswith("Feasibility:")
    assert problems == []
    assert requests == [report_page.as_uri()], "nothing but the file itself is requested"
