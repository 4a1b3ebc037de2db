"""The export stage's cheaper queries give what the plain definitions give.

Exports write Parquet first and the CSV from it, read views that count removed patients
instead of patients x steps, and compute the views several exports read once per trial;
each is checked here against the straightforward query it replaces.
"""

from __future__ import annotations

import pytest

from pipelines.exports import write as exports
from pipelines.warehouse.connect import connect
from tests import cohort_data

LAYOUT = {
    **cohort_data.LAYOUT,
    "SITE_D": {"potential": 1, "low_egfr": 1},
}

# The views' former definitions (every group x step x patient; each view read apart).
FUNNEL_BY_GROUP = """
with steps as (
    select -2 as ordinal, 'all_patients' as step, '' as kind
    union all select -1, 'deceased', ''
    union all select ordinal, criterion_id, kind from criteria_manifest
),
members as (
    select g.grouping, g.group_value, a.patient_id, a.failed_at
    from cohort_patient_groups as g join cohort_attrition as a on g.patient_id = a.patient_id
)
select g.grouping, g.group_value, s.ordinal + 2 as step_number, s.step, s.kind,
    count(*) filter (where g.failed_at is null or g.failed_at > s.ordinal) as remaining,
    count(*) filter (where g.failed_at = s.ordinal) as removed,
    count(*) filter (
        where (g.failed_at is null or g.failed_at > s.ordinal) and r.status = 'unknown'
    ) as unknown
from steps as s cross join members as g
left join criteria_results as r on g.patient_id = r.patient_id and s.step = r.criterion_id
group by g.grouping, g.group_value, s.ordinal, s.step, s.kind
order by g.grouping, g.group_value, s.ordinal
"""
STATUS_BY_GROUP = """
with groups as (select distinct grouping, group_value from cohort_patient_groups),
statuses as (select unnest(['eligible', 'potential', 'ineligible']) as status),
counted as (
    select g.grouping, g.group_value, e.status, count(*) as patients
    from cohort_patient_groups as g join cohort_eligibility as e on g.patient_id = e.patient_id
    group by all
)
select g.grouping, g.group_value, s.status, coalesce(c.patients, 0) as patients
from groups as g cross join statuses as s
left join counted as c
    on g.grouping = c.grouping and g.group_value = c.group_value and s.status = c.status
order by g.grouping, g.group_value, s.status
"""


@pytest.fixture(scope="module")
def cohort():
    con = connect(":memory:")
    cohort_data.build(con, LAYOUT)
    trial = cohort_data.evaluate_mini(con)
    con.execute(f"set schema = '{trial.id}'")
    yield con, trial
    con.close()


def _rows(con, query: str, params: list | None = None) -> list[tuple]:
    return con.execute(query, params or []).fetchall()


def test_funnel_by_group_equals_every_group_times_step_times_patient(cohort):
    con, _ = cohort
    view = _rows(con, "select * from cohort_funnel_by_group")
    assert view == _rows(con, FUNNEL_BY_GROUP)
    assert {r[1] for r in view} >= {"SITE_A", "SITE_D", "all"}


def test_status_by_group_equals_a_count_per_group_and_status(cohort):
    con, _ = cohort
    assert _rows(con, "select * from cohort_status_by_group") == _rows(con, STATUS_BY_GROUP)


def test_first_run_records_the_rows_of_cohort_patient_status(cohort):
    con, trial = cohort
    count = exports.record_statuses(con, trial, "R1")
    recorded = _rows(
        con,
        "select trial_id, as_of, patient_id, site_id, status, criteria from main.patient_status_history "
        "where run_id = 'R1' order by patient_id",
    )
    expected = _rows(con, "select * from cohort_patient_status order by patient_id")
    assert count == len(expected) == sum(sum(k.values()) for k in LAYOUT.values())
    assert recorded == expected
    assert [c["criterion_id"] for c in recorded[0][-1]] == [c.id for c in trial.criteria]


def _candidates_plain(trial) -> tuple[str, list[str]]:
    """candidates.csv's former definition: one filtered aggregate per criterion, built
    from the manifest in Python."""
    statuses = ", ".join(
        f"first(r.status) filter (where r.criterion_id = ?) as {c.id}" for c in trial.criteria
    )
    return (
        f"select k.rank, k.patient_id, k.site_id, k.status, k.score, k.diseases, "
        f"k.unmet_or_unknown, {', '.join(f's.{c.id}' for c in trial.criteria)} "
        f"from cohort_ranking as k join (select r.patient_id, {statuses} "
        "from criteria_results as r group by r.patient_id) as s on k.patient_id = s.patient_id "
        "order by k.rank"
    ), [c.id for c in trial.criteria]


def test_candidates_pivot_gives_one_status_column_per_criterion_in_manifest_order(cohort):
    con, trial = cohort
    result = con.execute(exports.export_sql("candidates"))
    columns = [d[0] for d in result.description]
    assert columns == [*exports_fixed_columns(), *[c.id for c in trial.criteria]]
    assert result.fetchall() == _rows(con, *_candidates_plain(trial))


def test_candidates_of_a_trial_without_candidates_keep_every_criterion_column(cohort):
    con, trial = cohort
    con.execute("create temp table cohort_ranking as select * from cohort_ranking where false")
    try:
        result = con.execute(exports.export_sql("candidates"))
        columns = [d[0] for d in result.description]
        assert result.fetchall() == []
    finally:
        con.execute("drop table temp.main.cohort_ranking")
    assert columns == [*exports_fixed_columns(), *[c.id for c in trial.criteria]]


def exports_fixed_columns() -> list[str]:
    """The columns candidates.csv starts with (design.md)."""
    return ["rank", "patient_id", "site_id", "status", "score", "diseases", "unmet_or_unknown"]


@pytest.mark.parametrize("name", ["candidates", "criteria"])
def test_csv_written_from_the_parquet_file_is_the_querys_csv(cohort, tmp_path, name):
    con, _trial = cohort
    query, params = exports.export_sql(name), []
    parquet, csv, direct = (tmp_path / f"{name}.parquet", tmp_path / f"{name}.csv", tmp_path / "direct.csv")
    exports.copy_parquet_and_csv(con, query, params, parquet, csv)
    exports.copy_to(con, query, params, direct)
    assert csv.read_bytes() == direct.read_bytes()
    assert _rows(con, f"select * from read_parquet('{parquet}')") == _rows(con, query, params)
    assert len(csv.read_text().splitlines()) > 10


def test_criteria_csv_holds_the_candidates_rows_of_criteria_parquet_in_its_order(cohort, tmp_path):
    con, _trial = cohort
    candidates, rows, csv = (
        tmp_path / "candidates.parquet",
        tmp_path / "criteria.parquet",
        tmp_path / "c.csv",
    )
    exports.copy_to(con, exports.export_sql("candidates"), [], candidates)
    exports.copy_to(con, exports.export_sql("criteria"), [], rows)
    exports.copy_candidate_rows(con, rows, candidates, csv)
    # the plain definition: every criterion row of an eligible or potential patient
    plain = tmp_path / "plain.csv"
    exports.copy_to(
        con,
        f"select * from ({exports.export_sql('criteria')}) "
        "where patient_id in (select patient_id from cohort_eligibility "
        "where status in ('eligible', 'potential'))",
        [],
        plain,
    )
    assert csv.read_bytes() == plain.read_bytes()
    patients = {r[0] for r in _rows(con, f"select patient_id from read_csv('{csv}', all_varchar = true)")}
    everyone = _rows(con, f"select count(distinct patient_id) from read_parquet('{rows}')")[0][0]
    assert 0 < len(patients) < everyone, "the CSV leaves out the ineligible patients, the Parquet keeps them"
    assert (
        csv.read_text().splitlines()[0]
        == "patient_id,criterion_id,kind,status,evidence,evidence_date,status_source"
    )


def test_criteria_csv_of_a_trial_without_candidates_is_its_header(cohort, tmp_path):
    con, _trial = cohort
    rows, none, csv = (tmp_path / "criteria.parquet", tmp_path / "none.parquet", tmp_path / "c.csv")
    exports.copy_to(con, exports.export_sql("criteria"), [], rows)
    exports.copy_to(con, "select patient_id from cohort_ranking where false", [], none)
    exports.copy_candidate_rows(con, rows, none, csv)
    assert csv.read_text().splitlines() == [
        "patient_id,criterion_id,kind,status,evidence,evidence_date,status_source"
    ]


VIEWS_READING_SHARED = (
    "cohort_ranking",
    "cohort_funnel_by_group",
    "cohort_status_by_group",
    "cohort_potential_reasons",
    "cohort_changes",
)


def test_views_read_inside_shared_views_give_the_rows_they_give_alone(cohort):
    con, trial = cohort
    alone = {v: _rows(con, f"select * from {v}") for v in VIEWS_READING_SHARED}
    with exports.shared_views(con, trial, exports.SHARED_VIEWS):
        inside = {v: _rows(con, f"select * from {v}") for v in VIEWS_READING_SHARED}
    assert inside == alone
    assert len(alone["cohort_ranking"]) > 10


def test_shared_views_are_read_from_their_stored_rows_and_dropped_after(cohort):
    con, trial = cohort
    statuses = "select sum(patients) from cohort_status_by_group where grouping = 'overall'"
    total = _rows(con, statuses)[0][0]
    with exports.shared_views(con, trial, exports.SHARED_VIEWS):
        # the views read the stored rows (computed once), not the view again
        con.execute("delete from temp.main.cohort_criteria_tally where n_failed > 0")
        assert _rows(con, statuses)[0][0] < total
    temp = "select table_name from information_schema.tables where table_catalog = 'temp'"
    assert not {name for (name,) in _rows(con, temp)} & set(exports.SHARED_VIEWS)
    assert _rows(con, statuses)[0][0] == total


def test_shared_views_leave_out_a_view_the_schema_lacks(cohort):
    con, trial = cohort
    with exports.shared_views(con, trial, ["patient_diseases", "cohort_no_such_view"]):
        assert _rows(con, "select count(*) from temp.main.patient_diseases")[0][0] > 0
    assert _rows(con, "select count(*) from duckdb_tables() where database_name = 'temp'") == [(0,)]
