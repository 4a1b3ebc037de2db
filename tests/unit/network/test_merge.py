"""Network merge: site reports read as intervals, summed, suppressed again, refused when
the sites ran another trial version; differencing gives back no hidden count."""

from __future__ import annotations

import copy
import json
import math

import pytest

from pipelines.cli import main
from pipelines.errors import ParameterError, SiteMismatch, SiteReportRefused
from pipelines.exports.suppression import propagate_bounds
from pipelines.network import merge as network
from pipelines.network.bounds import label_bounds, site_cells
from tests import network_data
from tests.network_data import HOSPITALS


@pytest.fixture(scope="module")
def reports() -> dict[str, dict]:
    return {name: network_data.report(layout) for name, layout in HOSPITALS.items()}


def _sites(reports: dict[str, dict], tmp_path) -> list[network.Site]:
    return network.read_sites(network_data.write_reports(tmp_path, reports))


@pytest.fixture(scope="module")
def merged(reports, tmp_path_factory) -> dict:
    return network.merge(_sites(reports, tmp_path_factory.mktemp("sites")))


# ---------------------------------------------------------------- a site's cells as intervals


@pytest.mark.parametrize(
    ("shown", "threshold", "bounds"),
    [
        pytest.param(0, 11, (0, 0), id="zero-is-exact"),
        pytest.param(42, 11, (42, 42), id="a-number-is-exact"),
        pytest.param("<11", 11, (1, 10), id="less-than-11-is-1-to-10"),
        pytest.param("<5", 11, (1, 4), id="the-label-carries-its-own-threshold"),
        pytest.param("*", 11, (11, math.inf), id="complementary-is-at-least-the-threshold"),
    ],
)
def test_a_shown_count_is_an_interval(shown, threshold, bounds):
    assert label_bounds(shown, threshold) == bounds


@pytest.mark.parametrize(
    "shown",
    [
        pytest.param(-1, id="negative"),
        pytest.param("n/a", id="text"),
        pytest.param(1.5, id="fraction"),
        pytest.param(True, id="bool"),
    ],
)
def test_anything_else_is_not_a_count(shown):
    with pytest.raises(ValueError, match="is not a count"):
        label_bounds(shown, 11)


def test_a_complementary_cell_is_bounded_by_the_sites_funnel_arithmetic(reports):
    cells = site_cells(reports["north"])
    bounds = propagate_bounds(cells.start(), cells.equations)
    truth, _ = network_data.truth(HOSPITALS["north"])
    stars = [k for k, v in cells.shown.items() if v == "*"]
    assert stars, "the north report hides some cell as '*'"
    for key in stars:
        low, high = bounds[key]
        assert low <= truth[key] <= high, key
        assert high < math.inf, f"{key} is bounded by the remaining counts around it"
    remaining = bounds[("funnel", "overall", "all", "deceased", "remaining")]
    assert remaining[0] >= 51 and remaining[1] == 60  # 61 patients, 1 to 10 of them deceased


def test_every_site_interval_holds_the_sites_true_count(reports):
    for name, layout in HOSPITALS.items():
        cells = site_cells(reports[name])
        bounds = propagate_bounds(cells.start(), cells.equations)
        truth, _ = network_data.truth(layout)
        for key, (low, high) in bounds.items():
            if key in truth:
                assert low <= truth[key] <= high, (name, key)


# ---------------------------------------------------------------- sums: exact or a range


def test_exact_totals_equal_the_pooled_count_and_ranges_contain_it(merged):
    truth, _ = network_data.truth(network_data.pooled())
    published = network_data.published_cells(merged)
    exact = ranges = hidden = 0
    for key, value in published.items():
        low, high = network_data.shown_bounds(value, 11)
        assert low <= truth[key] <= high, (key, value, truth[key])
        if isinstance(value, int):
            assert value == truth[key], key
            exact += 1
        elif isinstance(value, list):
            ranges += 1
        else:
            hidden += 1
    assert exact and ranges and hidden, (exact, ranges, hidden)


def test_a_total_is_exact_when_no_site_hid_a_part(merged, reports):
    patients = merged["funnel"]["overall"][0]["remaining"]
    assert patients == sum(r["funnel"]["overall"][0]["remaining"] for r in reports.values()) == 117
    assert merged["candidates_by_status"]["overall"]["ineligible"] == 19 + 20 + 14


def test_a_total_with_a_hidden_part_is_a_range_from_the_sites_equations(merged):
    # eligible: north '*', east '*', south '<11'; their funnels bound each one
    low, high = merged["candidates_by_status"]["overall"]["eligible"]
    assert low <= 49 <= high and high - low < 40


def test_a_total_of_small_counts_only_is_hidden_as_small(merged):
    # removed at 'deceased': north 1, south 2, both '<11'; 117 minus remaining gives 2 to 10
    assert merged["funnel"]["overall"][1]["removed"] == "<11"


def test_each_sites_contribution_shows_its_hidden_cells_as_hidden(merged, reports):
    for name, report in reports.items():
        mine = merged["by_site"][name]
        assert mine["funnel"] == report["funnel"]["overall"]
        assert mine["candidates_by_status"] == report["candidates_by_status"]["overall"]
    assert [s["name"] for s in merged["sites"]] == list(HOSPITALS)
    assert {s["as_of"] for s in merged["sites"]} == {merged["as_of"]}


# ---------------------------------------------------------------- differencing


@pytest.mark.parametrize("removed", [0, 1, 2], ids=list(HOSPITALS))
@pytest.mark.parametrize("own_report", [False, True], ids=["without-its-report", "with-its-report"])
def test_totals_minus_the_other_sites_give_back_no_hidden_count(merged, reports, removed, own_report):
    ordered = [reports[n] for n in HOSPITALS]
    found = network_data.reader(merged, ordered, removed, own_report)
    mine = site_cells(ordered[removed])
    alone = propagate_bounds(mine.start(), mine.equations)
    hidden = [k for k, v in mine.shown.items() if not isinstance(v, int)]
    assert hidden, "the site hid some cells"
    for key in hidden:
        low, high = found[key]
        assert low < high, f"{key} is recovered exactly: {low}"
        if own_report:  # the network adds nothing to what the site's own report shows
            assert (low, high) == alone[key], key


def test_the_differencing_check_catches_a_merge_that_publishes_true_totals(merged, reports):
    naive = copy.deepcopy(merged)
    truth, _ = network_data.truth(network_data.pooled())
    for row in naive["funnel"]["overall"]:
        for m in ("remaining", "removed", "unknown"):
            row[m] = truth[("funnel", "overall", "all", row["step"], m)]
    found = network_data.reader(naive, [reports[n] for n in HOSPITALS], removed=2, own_report=False)
    # south's 2 deceased: 3 removed in the network minus north's '<11' (1) ... recovered
    recovered = {k: b for k, b in found.items() if b[0] == b[1] and b[0] < 11 and k[0] == "funnel"}
    assert recovered, "publishing exact totals leaks a small count of the south site"


def test_no_hidden_network_total_can_be_worked_out_from_the_page_alone(merged):
    threshold = merged["suppression"]["min_cell_count"]
    published = network_data.published_cells(merged)
    start = {k: network_data.shown_bounds(v, threshold) for k, v in published.items()}
    cells = site_cells(network_data.report(network_data.pooled()))
    found = propagate_bounds(
        start, [e for e in cells.equations if all(k in start for k in (e.total, *e.parts))]
    )
    for key, value in published.items():
        if isinstance(value, str):
            assert found[key][0] < found[key][1], key


# ---------------------------------------------------------------- refusals


def test_a_site_with_another_rule_file_is_refused_in_one_line_naming_both(reports, tmp_path, capsys):
    changed = copy.deepcopy(reports)
    changed["south"]["run"]["provenance"]["trials/mini_trial/criteria/crit_inc_renal.sql"] = "f" * 64
    arguments = network_data.write_reports(tmp_path, changed)
    status = main(["network", "merge", *arguments, "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == SiteMismatch.exit_code == 3
    assert err.count("\n") == 1
    assert str(tmp_path / "south" / "feasibility.json") in err
    assert "rule file trials/mini_trial/criteria/crit_inc_renal.sql differs" in err
    assert not (tmp_path / "out" / "network.json").exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(lambda r: r["run"]["provenance"].pop("cohort/cohort_funnel.sql"),
                     "rule file cohort/cohort_funnel.sql is missing from", id="missing-rule-file"),
        pytest.param(lambda r: r["run"]["provenance"].update({"trials/mini_trial/valuesets/x.csv": "9" * 64}),
                     "rule file trials/mini_trial/valuesets/x.csv is only in", id="extra-rule-file"),
        pytest.param(lambda r: r["run"].update(as_of="2026-11-20"),
                     "as-of date 2026-11-20 differs from", id="another-as-of-date"),
        pytest.param(lambda r: r["trial"].update(id="other_trial"), "reports on trial 'other_trial'",
                     id="another-trial"),
    ],
)  # fmt: skip
def test_a_site_that_ran_something_else_is_refused(reports, tmp_path, change, message):
    changed = copy.deepcopy(reports)
    change(changed["east"])
    with pytest.raises(SiteMismatch, match=message) as err:
        network.merge(_sites(changed, tmp_path))
    assert str(tmp_path / "east" / "feasibility.json") in str(err.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param("{not json", "line 1 column 2: is not JSON", id="not-json"),
        pytest.param(json.dumps({"report": "whatif"}), "is not a feasibility report", id="another-report"),
        pytest.param(json.dumps({"report": "feasibility"}), "lacks 'funnel'", id="no-funnel"),
    ],
)
def test_a_file_that_is_not_a_feasibility_report_is_refused(tmp_path, content, message):
    path = tmp_path / "feasibility.json"
    path.write_text(content)
    with pytest.raises(SiteReportRefused, match=message):
        network.read_site(str(path))


def test_a_report_without_a_trial_version_is_refused(reports, tmp_path):
    old = copy.deepcopy(reports["east"])
    del old["run"]["provenance"]
    [argument] = network_data.write_reports(tmp_path, {"east": old})
    with pytest.raises(SiteReportRefused, match="records no trial version"):
        network.read_site(argument)


def test_the_trial_version_can_come_from_run_json_beside_the_report(reports, tmp_path):
    old = copy.deepcopy(reports["east"])
    provenance = old["run"].pop("provenance")
    [argument] = network_data.write_reports(tmp_path, {"east": old})
    (tmp_path / "east" / "run.json").write_text(json.dumps({"provenance": provenance}))
    assert network.read_site(argument).provenance == provenance


def test_a_site_whose_counts_contradict_its_equations_is_refused(reports, tmp_path):
    broken = copy.deepcopy(reports)
    broken["east"]["funnel"]["overall"][1]["remaining"] = 500  # more than its 36 patients
    with pytest.raises(SiteReportRefused, match=r"east/feasibility\.json: its counts contradict"):
        network.merge(_sites(broken, tmp_path))


# ---------------------------------------------------------------- thresholds


def test_the_network_threshold_is_never_below_a_sites(reports, tmp_path):
    with pytest.raises(ParameterError, match="below a site's threshold 11"):
        network.merge(_sites(reports, tmp_path), min_cell_count=5)


def test_a_site_with_a_lower_threshold_has_its_small_shown_counts_hidden_again(tmp_path):
    reports = {
        "east": network_data.report(HOSPITALS["east"], min_cell_count=3),
        "west": network_data.report({"SITE_W": {"eligible": 5, "potential": 4, "no_disease": 30}}, 3),
    }
    small = [
        (n, m)
        for n, row in enumerate(reports["west"]["funnel"]["overall"])
        for m in ("remaining", "removed", "unknown")
        if isinstance(row[m], int) and 1 <= row[m] < 11
    ]
    assert small, "west shows counts from 3 to 10 at its own threshold"
    result = network.merge(_sites(reports, tmp_path), min_cell_count=11)
    for n, m in small:
        assert result["by_site"]["west"]["funnel"][n][m] == "<11"
    assert result["by_site"]["west"]["candidates_by_status"]["eligible"] == "<11"
    for key, value in network_data.published_cells(result).items():
        if isinstance(value, int):
            assert value == 0 or value >= 11, key


# ---------------------------------------------------------------- an optional section of counts


def _recruitment(identified, contacted, consented, declined) -> dict:
    return {
        "overall": [
            {"step_number": 0, "step": "identified", "patients": identified, "percent": 100.0},
            {"step_number": 1, "step": "contacted", "patients": contacted, "percent": 40.0},
            {"step_number": 2, "step": "consented", "patients": consented, "percent": 10.0},
        ],
        "refusals_by_reason": [{"reason": "declined", "patients": declined}],
    }


def test_a_recruitment_section_is_summed_by_row_and_its_derived_figures_dropped(reports, tmp_path):
    with_log = copy.deepcopy(reports)
    with_log["north"]["recruitment"] = _recruitment(40, 16, "<11", "*")
    with_log["east"]["recruitment"] = _recruitment(20, "<11", 0, 12)
    result = network.merge(_sites(with_log, tmp_path))
    steps = result["recruitment"]["overall"]
    assert [s["step"] for s in steps] == ["identified", "contacted", "consented"]
    assert [s["step_number"] for s in steps] == [0, 1, 2]
    assert steps[0]["patients"] == 60
    assert steps[1]["patients"] == [17, 26]
    assert steps[2]["patients"] == "<11"
    assert result["recruitment"]["refusals_by_reason"] == [{"reason": "declined", "patients": [23, None]}]
    assert all("percent" not in s for s in steps), "a percentage of hidden counts is not summed"
    assert result["by_site"]["north"]["recruitment"]["overall"][2]["patients"] == "<11"
    assert "recruitment" not in result["by_site"]["south"]


def test_the_command_writes_network_json_and_html(reports, tmp_path, capsys):
    arguments = network_data.write_reports(tmp_path, reports)
    assert main(["network", "merge", *arguments, "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "network of 3 site(s): trial mini_trial" in out
    assert "all_patients" in out and "117" in out
    written = json.loads((tmp_path / "out" / "network.json").read_text())
    assert written["report"] == "network_feasibility"
    page = (tmp_path / "out" / "network.html").read_text()
    assert "Content-Security-Policy" in page and "north" in page
