"""A delta's checks: raw suites on its new loads' rows, staging suites on the patients it
re-staged, cross-table rules on whole tables; a failure names the delta's file and line.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from pipelines.checks import gate as quality
from pipelines.staging import build as staging
from pipelines.staging import incremental
from pipelines.warehouse.connect import connect
from tests.unit.staging.test_incremental import NIGHT, _base_night, _insert, _ledger

AS_OF = date(2026, 11, 26)
# An old row that breaks the LOINC format check: checked when it came, not with the delta.
OLD_BAD = {"raw_labs": [("A", "LOINC", "7187", "2026-01-04", 12.0, None, "g/dL", None, None, 2, 9)]}
NIGHT_ROWS = {
    # line 2: born after the as-of date (stg_patients.birth_date_not_after_as_of)
    "raw_patients": [("D", "M", "2030-01-01", None, "S2", None, NIGHT, 2)],
    "raw_labs": [
        ("D", "LOINC", "2160-0", "2026-01-05", 0.9, None, "mg/dL", None, None, NIGHT, 3),
        ("D", "LOINC", "21600", "2026-01-06", 0.8, None, "mg/dL", None, None, NIGHT, 4),  # bad LOINC
        ("E", "LOINC", "718-7", "2026-01-06", 13.0, None, "g/dL", None, None, NIGHT, 5),  # orphan
    ],
}


def _results(con, work: Path, since: int | None) -> dict[tuple[str, str], dict]:
    results = []
    for stage in ("raw", "staging"):
        results += quality.run_suites(con, stage, AS_OF, "r2", work, since_load_id=since)
    return {(r["table"], r["check"]): r for r in results}


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict, dict, Path]]:
    """(the delta's results, a full check's results of the same tables, the delta's work folder)."""
    con = connect(":memory:")
    _base_night(con, OLD_BAD)
    _ledger(con, [(NIGHT, "night.csv", "labs")], "r2")
    _insert(con, NIGHT_ROWS)
    plan = incremental.plan_staging(con, tables=staging.STAGING_ORDER)
    assert plan.is_delta
    staging.build_staging(con, plan, "r2")
    work = tmp_path_factory.mktemp("delta")
    yield _results(con, work, plan.since_load_id), _results(con, tmp_path_factory.mktemp("full"), None), work
    con.close()


def test_a_failure_in_the_delta_rows_names_the_delta_file_and_line(checked) -> None:
    delta, _full, _work = checked
    loinc = delta[("raw_labs", "loinc_code_format")]
    assert (loinc["status"], loinc["unexpected_count"], loinc["first_location"]) == (
        "failed",
        1,
        "night.csv line 4",
    )
    born = delta[("stg_patients", "birth_date_not_after_as_of")]
    assert (born["status"], born["unexpected_count"], born["first_location"]) == (
        "failed",
        1,
        "night.csv line 2",
    )


@pytest.mark.parametrize(
    ("table", "check", "delta_rows", "all_rows"),
    [
        pytest.param("raw_labs", "loinc_code_format", 3, 7, id="raw_suite_checks_the_new_loads_rows"),
        pytest.param("stg_labs", "value_not_negative", 3, 7, id="staging_suite_checks_the_restaged_patients"),
        pytest.param(
            "stg_labs",
            "hemoglobin_in_plausible_range",
            1,
            3,
            id="a_measure_share_is_of_the_delta_measure_rows",
        ),
        pytest.param("stg_patients", "sex_is_normalised", 1, 4, id="staging_suite_patients"),
        pytest.param("stg_labs", "orphan_labs", 7, 7, id="cross_table_rules_read_whole_tables"),
    ],
)
def test_a_delta_checks_only_its_rows_and_shares_are_of_those_rows(
    checked, table, check, delta_rows, all_rows
) -> None:
    delta, full, _work = checked
    assert delta[(table, check)]["element_count"] == delta_rows
    assert full[(table, check)]["element_count"] == all_rows


def test_old_rows_are_not_checked_again_but_a_full_check_finds_them(checked) -> None:
    delta, full, _work = checked
    assert full[("raw_labs", "loinc_code_format")]["unexpected_count"] == 2
    assert full[("raw_labs", "loinc_code_format")]["first_location"] == "labs.csv line 9"
    assert delta[("raw_labs", "loinc_code_format")]["unexpected_percent"] == pytest.approx(100 / 3, abs=1e-3)
    orphans = delta[("stg_labs", "orphan_labs")]
    assert (orphans["unexpected_count"], orphans["first_location"]) == (1, "night.csv line 5")


def test_a_delta_still_builds_its_data_docs(checked) -> None:
    _delta, _full, work = checked
    assert (work / "data_docs" / "index.html").is_file()


def test_a_delta_with_no_new_load_checks_no_row_and_passes(tmp_path: Path) -> None:
    con = connect(":memory:")
    _base_night(con, OLD_BAD)  # the old bad LOINC code was checked when it came
    plan = incremental.plan_staging(con, tables=staging.STAGING_ORDER)
    staging.build_staging(con, plan, "r2")
    results = list(_results(con, tmp_path, plan.since_load_id).values())
    assert quality.outcome(results)["status"] == "passed"
    assert {r["element_count"] for r in results if r["expectation"] != "sql rule"} == {0}
