"""Data Docs opened from disk in headless Chromium: nothing but local files is requested.

As tests/integration/test_feasibility_browser.py does for feasibility.html: every request
is recorded and must be a file of the Data Docs site itself (its vendored assets,
pipelines/checks/data_docs_vendor/), the console shows no error, no request fails.
The index must list every validation: the list is drawn by bootstrap-table, so it only
appears when jQuery and bootstrap-table load from the site's own copies.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.integration.test_feasibility_browser import CHROMIUM, FLAGS, pytestmark  # noqa: F401
from tests.unit.checks.test_quality_suites import _faulty_warehouse, _run

VALIDATIONS_TABLE = "#section-1-content-block-2-1-body-table"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The Data Docs of every suite run on the faulty test warehouse (failed checks too)."""
    work = tmp_path_factory.mktemp("dq")
    con = _faulty_warehouse()
    _run(con, work)
    con.close()
    return work / "data_docs"


def _open(page_file: Path, site: Path, profile: Path, script: str) -> tuple[list[str], list[str], object]:
    """Open `page_file`, wait for it to load, evaluate `script`; return the requests made,
    the problems seen (console errors and warnings, page errors, failed requests) and
    the script's value."""
    sync_api = pytest.importorskip("playwright.sync_api")
    requests: list[str] = []
    problems: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=FLAGS
        )
        try:
            page = browser.new_page()
            page.on("request", lambda request: requests.append(request.url))
            page.on("console", lambda msg: msg.type == "error" and problems.append(msg.text))
            page.on("pageerror", lambda err: problems.append(str(err)))
            page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
            page.goto(page_file.as_uri(), wait_until="load")
            page.wait_for_timeout(500)  # bootstrap-table draws on document ready
            value = page.evaluate(script)
        finally:
            browser.close()
    return requests, problems, value


def _outside(requests: list[str], site: Path) -> list[str]:
    root = site.as_uri() + "/"
    return [url for url in requests if not url.startswith(root)]


def test_index_lists_every_validation_offline_with_local_assets_only(site, tmp_path):
    pages = sorted(p.relative_to(site).as_posix() for p in (site / "validations").rglob("*.html"))
    script = f"""() => {{
        const data = $('{VALIDATIONS_TABLE}').bootstrapTable('getData');
        return {{
            links: data.map(row => row._table_row_link_path).sort(),
            drawn: document.querySelectorAll('{VALIDATIONS_TABLE} tbody tr[data-index]').length,
            styled: getComputedStyle(document.querySelector('.navbar')).display,
        }};
    }}"""
    requests, problems, value = _open(site / "index.html", site, tmp_path / "profile", script)
    assert _outside(requests, site) == [], "nothing outside the Data Docs folder is requested"
    assert problems == []
    assert len(pages) >= 10
    assert value["links"] == pages, "the index lists every validation page"
    assert value["drawn"] == min(len(pages), 10)  # bootstrap-table drew them (10 per page)
    assert value["styled"] == "flex", "bootstrap's stylesheet is applied"
    assert any("/static/vendor/bootstrap-table@1.19.1/" in url for url in requests)


def test_a_validation_page_loads_only_local_files_and_shows_its_results(site, tmp_path):
    page = next(p for p in sorted((site / "validations").rglob("*.html")) if "stg_labs" in p.parts)
    script = "() => document.body.innerText"
    requests, problems, text = _open(page, site, tmp_path / "profile", script)
    assert _outside(requests, site) == []
    assert problems == []
    assert "hemoglobin_in_plausible_range" in text or "9000" in text


def test_no_page_of_the_site_names_an_outside_asset_nor_the_newsletter(site):
    remote = re.compile(r"""(?:src=["']|<link[^>]*href=["']|url\(["']?)(?:https?:)?//""")
    for page in [*site.rglob("*.html"), *site.rglob("static/styles/*.css")]:
        text = page.read_text(encoding="utf-8")
        assert not remote.search(text), page
        assert "newsletter" not in text and "dataContextId" not in text, page
    assert (site / "static" / "vendor" / "bootstrap@4.3.1" / "LICENSE").is_file()
