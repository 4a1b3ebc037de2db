"""Screening states, their transitions, reason codes and the HL7 FHIR ResearchSubject map.

All of it is data: `sql/screening/data/states.csv` (one row per state: closed or open,
its level in the screening log, the states it may follow, its reason list, whether it
needs an `until` date, the FHIR R4 `ResearchSubject.status`, the R5
`progress.subjectState` and milestone) and `sql/screening/data/reasons.csv` (the reason
codes of each list; `criterion` is the list of per-criterion decisions). The trial's
evaluation loads the same files into `screening_states` / `screening_reasons` for the
SQL views. Codes checked against the FHIR specification:
R4 http://hl7.org/fhir/research-subject-status (hl7.org/fhir/R4/codesystem-research-subject-status.html),
R5 http://terminology.hl7.org/CodeSystem/research-subject-state and
http://terminology.hl7.org/CodeSystem/research-subject-milestone
(hl7.org/fhir/valueset-research-subject-milestone.html).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

from pipelines.errors import ParameterError
from pipelines.settings import SQL_DIR

DATA_DIR = SQL_DIR / "screening" / "data"
DECISIONS = ("met", "not_met")
CRITERION_REASONS = "criterion"
NOTE_MAX = 200
# A patient with no state event is `to_review`; a deceased one in an open state is
# `deceased` (derived, never recorded).
INITIAL = "to_review"
DECEASED = "deceased"


@dataclass(frozen=True)
class State:
    """One screening state (a row of states.csv)."""

    name: str
    closed: bool
    level: int | None
    follows: tuple[str, ...]  # ('*',) = any state
    r4_status: str
    r5_subject_state: str
    r5_milestone: str
    reason_list: str
    needs_until: bool
    description: str


@cache
def states() -> dict[str, State]:
    """Every recordable state by name, in the file's order."""
    with (DATA_DIR / "states.csv").open(encoding="utf-8", newline="") as handle:
        return {
            row["state"]: State(
                name=row["state"],
                closed=row["closed"] == "true",
                level=int(row["level"]) if row["level"] else None,
                follows=tuple(row["follows"].split()),
                r4_status=row["r4_status"],
                r5_subject_state=row["r5_subject_state"],
                r5_milestone=row["r5_milestone"],
                reason_list=row["reason_list"],
                needs_until=row["needs_until"] == "true",
                description=row["description"],
            )
            for row in csv.DictReader(handle)
        }


@cache
def reasons() -> dict[str, tuple[str, ...]]:
    """Reason codes of each list (screen_failure, decline, withdrawal, deferral, criterion)."""
    lists: dict[str, list[str]] = {}
    with (DATA_DIR / "reasons.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            lists.setdefault(row["reason_list"], []).append(row["reason"])
    return {name: tuple(codes) for name, codes in lists.items()}


def check_state(name: str) -> State:
    """The state called `name`, else a ParameterError listing the valid ones."""
    if name not in states():
        raise ParameterError(
            f"state {name!r} is not a screening state (expected one of {', '.join(states())})"
        )
    return states()[name]


def check_reason(reason: str | None, reason_list: str, what: str) -> str | None:
    """`reason` checked against a list: required when the list is named, else refused."""
    codes = reasons().get(reason_list, ())
    if not reason_list:
        if reason:
            raise ParameterError(f"{what} takes no reason (got {reason!r})")
        return None
    if not reason:
        raise ParameterError(f"{what} needs a reason (expected one of {', '.join(codes)})")
    if reason not in codes:
        raise ParameterError(f"reason {reason!r} is not a {what} reason (expected one of {', '.join(codes)})")
    return reason


def check_transition(current: str | None, new: State) -> None:
    """Refuse a state that may not follow the patient's current one (recording the same
    state again, or to_review to re-open, is always allowed)."""
    current = current or INITIAL
    if "*" in new.follows or new.name == current or current in new.follows:
        return
    allowed = [s.name for s in states().values() if "*" in s.follows or current in s.follows]
    raise ParameterError(
        f"state {new.name!r} cannot follow {current!r} (from {current!r}: {', '.join(allowed)})"
    )


def fhir_status(state: str, *, candidate: bool) -> tuple[str, str, str]:
    """(R4 status, R5 subjectState, R5 milestone) of a screening state; `deceased` (an
    open state closed by death) is not-registered; a candidate never reviewed is
    `candidate` (R4 `potential-candidate` is kept for a patient the scan no longer lists)."""
    if state == DECEASED:
        return "not-registered", "not-registered", ""
    if state == INITIAL and not candidate:
        return "potential-candidate", "potential-candidate", ""
    found = states()[state]
    return found.r4_status, found.r5_subject_state, found.r5_milestone
