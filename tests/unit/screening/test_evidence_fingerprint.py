"""A decision on a computed criterion lapses when the data behind it changes, not when
time alone moves the evidence sentence (the as-of date, a running count of days, an age)."""

from __future__ import annotations

from datetime import date

import pytest


def _fingerprint(wh, status: str, evidence: str, evidence_date: str | None, as_of: date) -> str:
    return wh.execute(
        "select evidence_fingerprint(?, ?, cast(? as date), cast(? as date))",
        [status, evidence.replace("{as_of}", as_of.isoformat()), evidence_date, as_of],
    ).fetchone()[0]


NIGHT_1, NIGHT_2 = date(2026, 11, 26), date(2026, 11, 27)


@pytest.mark.parametrize(
    ("night_1", "night_2"),
    [
        pytest.param(
            "no eGFR result within 90 days before {as_of}",
            "no eGFR result within 90 days before {as_of}",
            id="a-window-ending-on-the-as-of-date",
        ),
        pytest.param(
            "mycophenolate 301 days (2026-01-30 to {as_of})",
            "mycophenolate 302 days (2026-01-30 to {as_of})",
            id="a-running-course-one-day-longer",
        ),
        pytest.param("age 45 on {as_of} >= 18", "age 46 on {as_of} >= 18", id="a-birthday"),
    ],
)
def test_time_alone_keeps_the_fingerprint(wh, night_1: str, night_2: str) -> None:
    assert _fingerprint(wh, "met", night_1, "2026-01-30", NIGHT_1) == _fingerprint(
        wh, "met", night_2, "2026-01-30", NIGHT_2
    )


@pytest.mark.parametrize(
    ("night_2", "status", "evidence_date"),
    [
        pytest.param("latest eGFR 52 mL/min/1.73m2 on 2026-11-27", "met", "2026-11-27", id="a-new-result"),
        pytest.param(
            "latest eGFR 41 mL/min/1.73m2 on 2026-11-20", "met", "2026-11-20", id="a-corrected-value"
        ),
        pytest.param(
            "latest eGFR 45 mL/min/1.73m2 on 2026-11-20", "not_met", "2026-11-20", id="a-new-status"
        ),
        pytest.param(
            "rituximab 30 days (2026-10-28 to {as_of})", "met", "2026-11-20", id="another-drug-same-length"
        ),
    ],
)
def test_a_change_in_the_data_changes_the_fingerprint(
    wh, night_2: str, status: str, evidence_date: str
) -> None:
    night_1 = "latest eGFR 45 mL/min/1.73m2 on 2026-11-20"
    if night_2.startswith("rituximab"):
        night_1 = "mycophenolate 30 days (2026-10-28 to {as_of})"
    assert _fingerprint(wh, "met", night_1, "2026-11-20", NIGHT_1) != _fingerprint(
        wh, status, night_2, evidence_date, NIGHT_2
    )
