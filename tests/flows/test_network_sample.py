"""A network of three sites from the sample generator: three drops, three scans, one merge.

The merge is compared with a scan of the three drops pooled in one folder (what no
network may do, but a test may): every exact total equals the pooled count, every range
and hidden total holds it.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from pipelines.criteria.trials import load_trial
from pipelines.exports import feasibility
from pipelines.exports import screening as screening_exports
from pipelines.exports.suppression import propagate_bounds
from pipelines.network.bounds import site_cells
from pipelines.network.merge import write_network
from pipelines.run.flows import scan_flow
from pipelines.settings import SQL_DIR
from pipelines.warehouse.connect import open_warehouse
from sample_drops.generator import generate
from tests import network_data

AS_OF = date(2026, 11, 26)
TRIAL = "cart_autoimmune"
SITES = {"north": 11, "east": 12, "south": 13}  # site -> seed of its random patients
PATIENTS = 200  # the 175 curated patients and 25 random ones per site

pytestmark = pytest.mark.slow


def _scan(extracts: Path, root: Path) -> dict:
    return scan_flow(
        extracts=extracts,
        warehouse=root / "wh.duckdb",
        out=root / "exports",
        trials_dir=SQL_DIR / "trials",
        trial_ids=[TRIAL],
        as_of=AS_OF,
    )


def _pool(drops: dict[str, Path], folder: Path) -> Path:
    """Every site's files in one folder, renamed apart (patients.csv -> patients-north.csv)."""
    folder.mkdir()
    for site, drop in drops.items():
        for path in drop.iterdir():
            if path.is_file() and path.name != "README.md":
                kind = path.name.split("-")[0].split(".")[0]
                shutil.copy(path, folder / f"{kind}-{site}{path.name[len(kind) :]}")
    return folder


@pytest.fixture(scope="module")
def network(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("network")
    drops = {}
    reports = []
    for site, seed in SITES.items():
        drops[site] = root / "drops" / site
        generate(drops[site], PATIENTS, seed, AS_OF, site=site)
        folder = Path(_scan(drops[site], root / site)["folders"][TRIAL])
        reports.append(f"{site}={folder / 'feasibility.json'}")
    merged = write_network(reports, root / "network")
    site_reports = [json.loads(Path(a.partition("=")[2]).read_text()) for a in reports]
    pooled = _scan(_pool(drops, root / "drops" / "pooled"), root / "pooled")
    folder = Path(pooled["folders"][TRIAL])
    run_info = json.loads((folder / "run.json").read_text())
    trial = load_trial(SQL_DIR / "trials", TRIAL)
    with open_warehouse(root / "pooled" / "wh.duckdb", read_only=True) as con:
        truth, _ = feasibility.cells_and_equations(feasibility.collect(con, trial), run_info)
        # the recruitment section (the screening log, pipelines/exports/screening.py), as named there
        for row in screening_exports.screening_log(con, trial):
            name = f"{row['measure']}.{row['reason']}" if row["reason"] else row["measure"]
            where = ("overall",) if row["site_id"] == "all" else ("by_site", row["site_id"])
            truth[("recruitment", *where, name)] = row["patients"]
    return {
        "merged": merged,
        "truth": truth,
        "root": root,
        "pooled_feasibility": folder / "feasibility.json",
        "reports": site_reports,
    }


def test_exact_totals_equal_the_pooled_scan_and_ranges_hold_it(network):
    merged, truth = network["merged"], network["truth"]
    kinds = {"exact": 0, "range": 0, "hidden": 0}
    for key, value in network_data.published_cells(merged).items():
        low, high = network_data.shown_bounds(value, merged["suppression"]["min_cell_count"])
        assert low <= truth[key] <= high, (key, value, truth[key])
        if isinstance(value, int):
            assert value == truth[key], key
        kinds["exact" if isinstance(value, int) else "range" if isinstance(value, list) else "hidden"] += 1
    assert all(kinds.values()), kinds
    assert (
        merged["funnel"]["overall"][0]["remaining"]
        == truth[("funnel", "overall", "all", "all_patients", "remaining")]
    )


def test_each_sites_contribution_is_its_own_site_in_the_pooled_scan(network):
    merged = network["merged"]
    pooled = json.loads(network["pooled_feasibility"].read_text())
    assert list(merged["by_site"]) == list(SITES)
    assert sorted(pooled["funnel"]["by_site"]) == sorted(SITES)
    for site in SITES:
        mine = merged["by_site"][site]["funnel"]
        truth = network["truth"]
        for row in mine:
            for m in ("remaining", "removed", "unknown"):
                if isinstance(row[m], int):
                    assert row[m] == truth[("funnel", "site", site, row["step"], m)], (site, row["step"], m)


def test_the_merge_writes_json_and_a_page_naming_every_sites_as_of_date(network):
    folder = network["root"] / "network"
    written = json.loads((folder / "network.json").read_text())
    assert [s["as_of"] for s in written["sites"]] == [AS_OF.isoformat()] * 3
    assert written["trial_version"]["rule_files"] > 10
    page = (folder / "network.html").read_text()
    assert all(site in page for site in SITES)


@pytest.mark.parametrize("removed", range(len(SITES)), ids=list(SITES))
def test_the_totals_minus_two_sites_give_back_no_small_count_of_the_third(network, removed):
    reports = network["reports"]
    cells = site_cells(reports[removed])
    alone = propagate_bounds(cells.start(), cells.equations)
    hidden = [k for k, v in cells.shown.items() if not isinstance(v, int)]
    assert hidden, "the site hid some counts"
    without = network_data.reader(network["merged"], reports, removed, own_report=False)
    small = [k for k in hidden if without[k][0] == without[k][1] and without[k][0] < cells.min_cell_count]
    assert small == []
    # a '*' the site's own report already pins (a one-site group equal to the overall,
    # say) may come out exact: never below the threshold, and never from the network
    with_own = network_data.reader(network["merged"], reports, removed, own_report=True)
    assert [k for k in hidden if with_own[k] != alone[k]] == []
