"""worklist.html opened from disk in headless Chromium (as test_feasibility_browser.py):
no request but the file itself, no console error, and the inline sort and filter work."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from pipelines.exports import screening as screening_exports
from pipelines.screening import events
from pipelines.warehouse.connect import connect
from tests import cohort_data
from tests.integration.test_feasibility_browser import CHROMIUM, FLAGS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists() and not os.environ.get("CI"),
        reason="needs Debian's chromium: run `make chromium` (CI fails instead of skipping)",
    ),
]


@pytest.fixture(scope="module")
def worklist_page(tmp_path_factory) -> Path:
    """worklist.html of the test cohort, with one patient re-opened by a decision."""
    folder = tmp_path_factory.mktemp("worklist")
    con = connect(":memory:")
    cohort_data.build(con)
    trial = cohort_data.evaluate_mini(con)
    events.record_one(
        con, trial, events.Event(trial.id, "SITE_B-eligible-03", "jdoe", date(2026, 11, 26), state="reviewed")
    )
    trial = cohort_data.evaluate_mini(con)
    screening_exports.write_screening_exports(con, trial, folder, "2026-11-26", "run-1")
    con.close()
    return folder / "worklist.html"


def test_worklist_html_sorts_and_filters_offline_without_errors(worklist_page, tmp_path):
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
            page.goto(worklist_page.as_uri(), wait_until="load")
            rows = page.locator("#worklist tbody tr")
            total = rows.count()
            first_before = rows.first.locator("td").nth(2).inner_text()

            page.locator("#worklist th[data-column='patient_id']").click()
            page.locator("#worklist th[data-column='patient_id']").click()  # descending
            ids = page.locator("#worklist tbody tr td:nth-child(3)").all_inner_texts()

            page.fill("#filter", "SITE_C")
            shown_site_c = int(page.locator("#shown").inner_text())
            visible_site_c = page.locator("#worklist tbody tr:visible").count()
            page.fill("#filter", "")
            page.select_option("#action", "follow_up")
            follow_up = page.locator("#worklist tbody tr:visible td:nth-child(3)").all_inner_texts()
        finally:
            browser.close()
    assert total == 64  # every candidate: 63 to review, one to follow up
    assert first_before == "SITE_A-eligible-00"
    assert ids == sorted(ids, reverse=True) and len(ids) == total
    assert shown_site_c == visible_site_c == 6  # SITE_C: 5 eligible + 1 potential
    assert follow_up == ["SITE_B-eligible-03"]
    assert problems == []
    assert requests == [worklist_page.as_uri()], "nothing but the file itself is requested"
