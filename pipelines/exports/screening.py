"""Screening exports of a trial's run: worklist.csv / .html, screening_log.csv,
research_subjects.ndjson, and the recruitment section of the feasibility report.

Read from the trial's views (`sql/screening/`): `screening_worklist` (who to act on
today), `screening_log` (CONSORT-style counts by site) and `screening_patient_state`
(one ResearchSubject per patient of the screening pool). Patient-level files (the
worklist, the ResearchSubjects) and the unsuppressed log are for site staff: written
readable by their owner only (mode 0600). The recruitment section of feasibility.json is
the log's counts with small counts suppressed (`pipelines/exports/suppression.py`): a
flat set of named counts overall and by site, `measure` or `measure.reason`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from pipelines import files
from pipelines.criteria.trials import Trial
from pipelines.exports.suppression import DEFAULT_MIN_CELL_COUNT, Equation, suppress
from pipelines.screening import states
from pipelines.warehouse.connect import ident

WORKLIST_COLUMNS = (
    "position",
    "action",
    "patient_id",
    "site_id",
    "status",
    "score",
    "state",
    "state_reason",
    "state_on",
    "state_until",
    "changed_since_decision",
    "open_criteria",
    "decided_criteria",
    "evidence",
)
LOG_COLUMNS = ("site_id", "measure", "reason", "patients")
# The screening log's equations (sql/screening/screening_log.sql): total = parts.
LEVELS = (
    ("identified", ("not_reviewed", "no_longer_candidate", ("deceased", "before_review"), "reviewed")),
    ("reviewed", ("screen_failed", "eligible")),
    ("eligible", ("not_contacted", ("deceased", "after_review"), "contacted")),
    ("contacted", ("awaiting_consent", "declined", ("deceased", "after_contact"), "consented")),
    ("consented", ("awaiting_enrolment", ("deceased", "after_consent"), "withdrawn", "enrolled")),
)
BY_REASON = ("screen_failed", "declined", "withdrawn", "deceased")
FHIR_R4_STATUS_SYSTEM = "http://hl7.org/fhir/research-subject-status"


def write_private(path: Path, text: str, group: str | None = None) -> None:
    """Write a file atomically, readable by its owner only (0600; 0640 for `group`),
    whatever the umask (pipelines/files.py)."""
    files.write_text(path, text)
    files.restrict_one(path, group)


def _rows(con: duckdb.DuckDBPyConnection, query: str, params: list | None = None) -> list[dict[str, Any]]:
    cursor = con.execute(query, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def worklist(con: duckdb.DuckDBPyConnection, trial: Trial) -> list[dict[str, Any]]:
    """The rows of worklist.csv, in the order to work them."""
    columns = ", ".join(WORKLIST_COLUMNS)
    return _rows(con, f"select {columns} from {ident(trial.id)}.screening_worklist order by position")


def screening_log(con: duckdb.DuckDBPyConnection, trial: Trial) -> list[dict[str, Any]]:
    """The rows of screening_log.csv: site ('all' first), measure, reason, patients."""
    return _rows(con, f"select {', '.join(LOG_COLUMNS)} from {ident(trial.id)}.screening_log")


def to_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row[c] is None else row[c] for c in columns])
    return buffer.getvalue()


def research_subjects(con: duckdb.DuckDBPyConnection, trial: Trial) -> list[dict[str, Any]]:
    """One FHIR R4 ResearchSubject per patient of the screening pool (see states.py for
    the map; R5's subjectState and milestone are in the README's table). The study and
    the individual are logical references (identifiers): the site's systems resolve
    them. The resource id is a hash of trial and patient (no patient id in a URL)."""
    rows = _rows(
        con,
        "select patient_id, site_id, state, is_candidate, state_on, state_reason "
        f"from {ident(trial.id)}.screening_patient_state order by patient_id",
    )
    resources = []
    for row in rows:
        r4, _, _ = states.fhir_status(row["state"], candidate=bool(row["is_candidate"]))
        digest = hashlib.sha256(f"{trial.id}|{row['patient_id']}".encode()).hexdigest()[:32]
        resource: dict[str, Any] = {
            "resourceType": "ResearchSubject",
            "id": f"cs-{digest}",
            "identifier": [
                {"system": "urn:cohortscan:research-subject", "value": f"{trial.id}|{row['patient_id']}"}
            ],
            "status": r4,
            "study": {"identifier": {"system": "urn:cohortscan:trial", "value": trial.id}},
            "individual": {
                "identifier": {
                    "system": f"urn:cohortscan:site:{row['site_id']}:patient",
                    "value": row["patient_id"],
                }
            },
        }
        if row["state_on"] is not None:
            resource["period"] = {"start": row["state_on"].isoformat()}
        resources.append(resource)
    return resources


def recruitment_section(
    rows: Sequence[dict[str, Any]], min_cell_count: int = DEFAULT_MIN_CELL_COUNT
) -> dict[str, Any]:
    """The screening log's counts with small counts suppressed: {"overall": {name:
    count}, "by_site": {site: {name: count}}}, names `measure` or `measure.reason`."""
    cells = {(r["site_id"], r["measure"], r["reason"]): r["patients"] for r in rows}
    sites = sorted({site for site, _, _ in cells if site != "all"})
    equations: list[Equation] = []
    for site in ["all", *sites]:

        def key(part, site=site):
            return (site, *part) if isinstance(part, tuple) else (site, part, "")

        for total, parts in LEVELS:
            equations.append(Equation(key(total), tuple(key(p) for p in parts)))
        for measure in BY_REASON:
            reasons = tuple(k for k in cells if k[0] == site and k[1] == measure and k[2])
            equations.append(Equation(key(measure), reasons))
    for cell_key in [k for k in cells if k[0] == "all"]:
        parts = tuple((site, *cell_key[1:]) for site in sites)
        if parts:
            equations.append(Equation(cell_key, parts))
    hidden = suppress(cells, equations, min_cell_count, cost=lambda k: 0 if k[0] != "all" else 1)

    def named(site: str) -> dict[str, Any]:
        return {
            (m if not r else f"{m}.{r}"): hidden.show((s, m, r), v)
            for (s, m, r), v in cells.items()
            if s == site
        }

    return {
        "source": "screening_log.csv (coordinators' screening events)",
        "overall": named("all"),
        "by_site": {site: named(site) for site in sites},
    }


def write_screening_exports(
    con: duckdb.DuckDBPyConnection,
    trial: Trial,
    folder: Path,
    as_of: str,
    run_id: str,
    group: str | None = None,
) -> dict[str, int]:
    """Write worklist.csv/.html, screening_log.csv and research_subjects.ndjson into
    `folder`, private (`group`: the private_group setting); return their row counts."""
    from pipelines.exports import report_html

    rows = worklist(con, trial)
    log = screening_log(con, trial)
    subjects = research_subjects(con, trial)
    write_private(folder / "worklist.csv", to_csv(rows, WORKLIST_COLUMNS), group)
    write_private(folder / "screening_log.csv", to_csv(log, LOG_COLUMNS), group)
    write_private(
        folder / "research_subjects.ndjson",
        "".join(json.dumps(s, sort_keys=True) + "\n" for s in subjects),
        group,
    )
    write_private(
        folder / "worklist.html",
        report_html.worklist_html(
            {"trial": {"id": trial.id, "title": trial.title}, "as_of": as_of, "run_id": run_id},
            rows,
            WORKLIST_COLUMNS,
            [r for r in log if r["site_id"] == "all"],
        ),
        group,
    )
    return {"worklist": len(rows), "research_subjects": len(subjects)}
