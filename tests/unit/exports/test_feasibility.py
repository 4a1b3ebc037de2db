"""feasibility.json: the same numbers as the funnel views, suppressed consistently."""

from __future__ import annotations

import json
import re

import pytest

from pipelines.exports import feasibility
from pipelines.exports.suppression import COMPLEMENTARY, Equation, propagate
from pipelines.warehouse.connect import connect
from tests import cohort_data

RUN_INFO = {
    "run_id": "R1",
    "started_at": "2026-11-26T02:00:00",
    "finished_at": "2026-11-26T02:01:00",
    "inputs": [
        {"file_name": "patients.csv", "kind": "patients", "status": "loaded", "rows_read": 106,
         "rows_loaded": 105, "rows_quarantined": 1},
        {"file_name": "labs.csv", "kind": "labs", "status": "loaded", "rows_read": 60,
         "rows_loaded": 60, "rows_quarantined": 0},
    ],
    "staging_rows": {"stg_patients": 117, "stg_labs": 55},
    "validation": {
        "status": "warnings",
        "checks": [
            {"stage": "staging", "table": "stg_labs", "check": "unit_present", "severity": "warning",
             "status": "failed", "element_count": 55, "unexpected_count": 3,
             "unexpected_percent": 5.45, "detail": "3 of 55 rows (first: labs.csv line 7)",
             "first_location": "labs.csv line 7"},
        ],
    },
}  # fmt: skip


@pytest.fixture(scope="module")
def cohort():
    """The cohort of tests/cohort_data.py, evaluated once for this module (read only)."""
    con = connect(":memory:")
    cohort_data.build(con)
    trial = cohort_data.evaluate_mini(con)
    yield con, trial
    con.close()


def _report(con, trial, min_cell_count):
    return feasibility.build_report(feasibility.collect(con, trial), RUN_INFO, trial, min_cell_count)


def _view(con, view, columns, where=""):
    return con.execute(f"select {columns} from mini_trial.{view} {where}").fetchall()


def test_feasibility_numbers_equal_the_funnel_when_nothing_is_suppressed(cohort):
    con, trial = cohort
    report = _report(con, trial, min_cell_count=1)
    funnel = _view(con, "cohort_funnel", "step_number, step, kind, remaining, removed, unknown", "order by 1")
    assert [tuple(r.values()) for r in report["funnel"]["overall"]] == funnel
    for site, rows in report["funnel"]["by_site"].items():
        expected = _view(
            con,
            "cohort_funnel_by_group",
            "step_number, step, kind, remaining, removed, unknown",
            f"where grouping = 'site' and group_value = '{site}' order by 1",
        )
        assert [tuple(r.values()) for r in rows] == expected
    statuses = dict(_view(con, "cohort_eligibility", "status, count(*)", "group by status"))
    overall = report["candidates_by_status"]["overall"]
    assert {k: overall[k] for k in statuses} == statuses
    assert overall["total"] == sum(statuses.values()) == 117


def test_funnel_by_group_overall_equals_cohort_funnel(cohort):
    con, _ = cohort
    columns = "step_number, step, kind, remaining, removed, unknown"
    by_group = _view(con, "cohort_funnel_by_group", columns, "where grouping = 'overall' order by 1")
    assert by_group == _view(con, "cohort_funnel", columns, "order by 1")


def test_sites_add_up_to_overall_and_diseases_include_none(cohort):
    con, _ = cohort
    rows = _view(
        con,
        "cohort_funnel_by_group",
        "grouping, group_value, remaining",
        "where step = 'all_patients' order by 1, 2",
    )
    assert rows == [
        ("disease", "SLE", 70),
        ("disease", "none", 47),
        ("overall", "all", 117),
        ("site", "SITE_A", 61),
        ("site", "SITE_B", 36),
        ("site", "SITE_C", 20),
    ]


def test_suppressed_report_shows_true_counts_small_ones_hidden(cohort):
    con, trial = cohort
    raw = feasibility.collect(con, trial)
    cells, equations = feasibility.cells_and_equations(raw, RUN_INFO)
    report = _report(con, trial, min_cell_count=11)
    shown = _shown_cells(report)
    assert shown, "the report lists its cells"
    for key, value in shown.items():
        true = cells[key]
        if value == "<11":
            assert 1 <= true <= 10, key
        elif value == COMPLEMENTARY:
            assert true >= 11, key
        else:
            assert value == true, key
            assert not 1 <= true <= 10, key
    primary = {k for k, v in shown.items() if v == "<11"}
    complementary = {k for k, v in shown.items() if v == COMPLEMENTARY}
    bounds = propagate(cells, equations, primary, complementary)
    pinned = [k for k in primary if bounds[k][0] == bounds[k][1]]
    assert pinned == [], "no small count can be worked out from the counts shown"


def _shown_cells(report):
    """Map the report's funnel and status cells back to the keys of cells_and_equations."""
    out = {}
    groups = [("overall", "all", report["funnel"]["overall"], report["candidates_by_status"]["overall"])]
    for grouping in ("site", "disease"):
        for group, rows in report["funnel"][f"by_{grouping}"].items():
            groups.append((grouping, group, rows, report["candidates_by_status"][f"by_{grouping}"][group]))
    for grouping, group, rows, statuses in groups:
        for row in rows:
            for measure in ("remaining", "removed", "unknown"):
                out[("funnel", grouping, group, row["step"], measure)] = row[measure]
        for status in ("eligible", "potential", "ineligible"):
            out[("status", grouping, group, status)] = statuses[status]
    return out


def test_small_site_is_hidden_and_cannot_be_recovered_from_the_overall(cohort):
    con, trial = cohort
    report = _report(con, trial, min_cell_count=11)
    by_site = report["candidates_by_status"]["by_site"]
    assert by_site["SITE_B"]["potential"] == "<11"  # 2 patients
    assert by_site["SITE_C"]["potential"] == "<11"  # 1 patient
    assert by_site["SITE_A"]["potential"] == 12
    # headline counts stay: every site's number of patients, and the overall one
    assert [s["total"] for s in by_site.values()] == [61, 36, 20]
    assert report["candidates_by_status"]["overall"]["total"] == 117


def test_zero_counts_are_shown_as_zero(cohort):
    con, trial = cohort
    report = _report(con, trial, min_cell_count=11)
    assert report["candidates_by_status"]["by_disease"]["none"]["eligible"] == 0
    assert report["funnel"]["overall"][0]["removed"] == 0


def test_top_reasons_for_potential_name_the_missing_test(cohort):
    con, trial = cohort
    report = _report(con, trial, min_cell_count=11)
    assert report["potential_reasons"]["overall"] == [
        {"criterion_id": "inc_renal", "n_unknown": 15, "n_only_open": 15}
    ]
    assert report["potential_reasons"]["by_site"]["SITE_B"] == [
        {"criterion_id": "inc_renal", "n_unknown": "<11", "n_only_open": "<11"}
    ]


def test_data_quality_keeps_outcomes_and_drops_details(cohort):
    con, trial = cohort
    dq = _report(con, trial, min_cell_count=11)["data_quality"]
    check = dq["validation"]["checks"][0]
    assert check["unexpected_count"] == "<11"
    assert check["element_count"] == 55
    assert "detail" not in check and "first_location" not in check and "unexpected_percent" not in check
    assert dq["validation"]["checks_failed"] == 1
    assert dq["files"][0]["rows_quarantined"] == "<11"
    assert "rows_loaded" not in dq["files"][0]


def test_missing_validation_reads_not_configured(cohort):
    con, trial = cohort
    info = {k: v for k, v in RUN_INFO.items() if k != "validation"}
    report = feasibility.build_report(feasibility.collect(con, trial), info, trial)
    assert report["data_quality"]["validation"]["status"] == "not_configured"


def test_write_feasibility_writes_json_and_self_contained_html(cohort, tmp_path):
    con, trial = cohort
    report = feasibility.write_feasibility(
        con, trial, RUN_INFO, tmp_path / "feasibility.json", tmp_path / "feasibility.html"
    )
    assert json.loads((tmp_path / "feasibility.json").read_text()) == json.loads(json.dumps(report))
    html = (tmp_path / "feasibility.html").read_text()
    assert "cdn" not in html.lower().split("plotly.js v")[0][:2000]
    assert '<script src="http' not in html and "<link " not in html
    assert "Content-Security-Policy" in html
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feasibility.html", "feasibility.json"]


def _chart_traces(html):
    """The data array of every Plotly.newPlot call in the page."""
    decoder = json.JSONDecoder()
    traces = {}
    for match in re.finditer(r'Plotly\.newPlot\(\s*"([^"]+)",\s*', html):
        traces[match.group(1)], _ = decoder.raw_decode(html, match.end())
    return traces


def test_chart_data_holds_only_counts_the_tables_show(cohort, tmp_path):
    con, trial = cohort
    report = feasibility.write_feasibility(con, trial, RUN_INFO, tmp_path / "f.json", tmp_path / "f.html")
    traces = _chart_traces((tmp_path / "f.html").read_text())
    assert set(traces) == {"chart-funnel", "chart-sites", "chart-reasons", "chart-site-funnel"}
    shown = {v for v in _all_values(report) if isinstance(v, int)}
    for chart, data in traces.items():
        for trace in data:
            for axis in ("x", "y"):
                numbers = [v for v in trace.get(axis, []) if isinstance(v, int | float)]
                assert set(numbers) <= shown, (chart, axis, numbers)
    funnel = traces["chart-funnel"][0]
    hidden_steps = [r for r in report["funnel"]["overall"] if not isinstance(r["remaining"], int)]
    assert hidden_steps, "the sample cohort hides some remaining counts"
    assert funnel["x"].count(None) == len(hidden_steps)


def _all_values(node):
    if isinstance(node, dict):
        for value in node.values():
            yield from _all_values(value)
    elif isinstance(node, list):
        for value in node:
            yield from _all_values(value)
    else:
        yield node


def test_equation_keys_all_exist(cohort):
    con, trial = cohort
    cells, equations = feasibility.cells_and_equations(feasibility.collect(con, trial), RUN_INFO)
    assert all(isinstance(eq, Equation) for eq in equations)
    assert all(k in cells for eq in equations for k in (eq.total, *eq.parts))


def test_a_trial_with_no_patient_gets_a_report_of_zeros():
    """A drop whose patients table ended up empty (every row quarantined, or a header-only
    file): the funnel has every step at 0 and nothing fails (was IndexError in _partitions)."""
    con = connect(":memory:")
    cohort_data.build(con, {})
    trial = cohort_data.evaluate_mini(con)
    report = _report(con, trial, 11)
    overall = report["funnel"]["overall"]
    assert [row["step"] for row in overall][:2] == ["all_patients", "deceased"]
    assert {row["remaining"] for row in overall} == {0}
    assert report["candidates_by_status"]["overall"] == {
        "eligible": 0,
        "potential": 0,
        "ineligible": 0,
        "total": 0,
    }
    assert report["potential_reasons"]["overall"] == []
