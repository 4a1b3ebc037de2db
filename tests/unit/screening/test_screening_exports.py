"""The ResearchSubject resources and the suppressed recruitment section."""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.exports import screening as screening_exports
from pipelines.screening import events
from tests import cohort_data

ON = date(2026, 11, 26)


@pytest.fixture
def con(wh):
    cohort_data.build(wh)
    trial = cohort_data.evaluate_mini(wh)
    for patient, state, reason in (
        ("SITE_A-eligible-00", "reviewed", None),
        ("SITE_A-eligible-01", "screen_failed", "lab_out_of_range"),
    ):
        events.record_one(wh, trial, events.Event(trial.id, patient, "jdoe", ON, state=state, reason=reason))
    cohort_data.evaluate_mini(wh)
    return wh


@pytest.mark.parametrize(
    ("patient", "status"),
    [
        pytest.param("SITE_A-eligible-00", "screening", id="reviewed-is-screening"),
        pytest.param("SITE_A-eligible-01", "ineligible", id="screen-failed-is-ineligible"),
        pytest.param("SITE_A-eligible-02", "candidate", id="never-reviewed-candidate"),
    ],
)
def test_research_subjects_carry_the_fhir_r4_status_of_the_state(con, patient, status):
    subjects = screening_exports.research_subjects(con, cohort_data.mini_trial())
    found = [s for s in subjects if s["individual"]["identifier"]["value"] == patient]
    assert len(found) == 1
    subject = found[0]
    assert subject["resourceType"] == "ResearchSubject" and subject["status"] == status
    assert subject["study"] == {"identifier": {"system": "urn:cohortscan:trial", "value": "mini_trial"}}
    assert patient not in subject["id"]


def test_the_recruitment_section_hides_small_counts_and_names_every_count_flat(con):
    log = screening_exports.screening_log(con, cohort_data.mini_trial())
    section = screening_exports.recruitment_section(log, 11)
    overall = section["overall"]
    assert overall["identified"] == 64
    assert overall["reviewed"] == "<11" and overall["screen_failed.lab_out_of_range"] == "<11"
    assert overall["not_reviewed"] == "*", "else identified - not_reviewed gives reviewed"
    assert sorted(section["by_site"]) == ["SITE_A", "SITE_B", "SITE_C"]
    assert all(isinstance(v, int | str) for counts in section["by_site"].values() for v in counts.values())
