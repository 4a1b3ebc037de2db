"""Import a screening-log CSV (the spreadsheet coordinators keep) as screening events.

Columns (header names case-insensitive, trimmed; order free; extra columns refused so a
typo is not silently dropped): `trial_id`, `patient_id` (required), then either `state`
(with `reason`, `until` where the state needs them) or `criterion` and `decision`
(met / not_met, with `reason`); optional `decided_on` (YYYY-MM-DD, default: the day of
the import), `decided_by` (default: --by) and `note` (at most 200 characters).

Every row is checked (format first, then against the warehouse: trial, patient,
criterion, state, reason, transition); any bad row refuses the whole file, each bad row
named by line and column. The rows are recorded in one transaction: all or nothing.
A row already recorded by an earlier import (same trial and same values as written:
its `row_key`) is skipped, so importing a file twice records nothing twice, and a log
that grew since is imported for its new rows only.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from pipelines.criteria import trials
from pipelines.errors import CohortscanError
from pipelines.screening import events
from pipelines.screening.events import Event, ImportRefused

REQUIRED = ("trial_id", "patient_id")
OPTIONAL = ("state", "reason", "until", "criterion", "decision", "decided_on", "decided_by", "note")
SHOWN_ERRORS = 20


@dataclass
class ImportResult:
    """Counts of an import (rows read, recorded, skipped as already recorded)."""

    file_name: str
    rows: int
    recorded: int
    skipped: int


def _date(text: str, line: int, column: str, errors: list[str], name: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors.append(f"{name} line {line}, column {column}: {text!r} is not a date (expected YYYY-MM-DD)")
        return None


def read_rows(path: Path, by: str, today: date) -> tuple[list[Event], list[str]]:
    """The file's rows as events and the format errors found (line and column named)."""
    name = path.name
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ImportRefused(f"{name}: is not UTF-8 text (byte {err.start}); save it as CSV UTF-8") from None
    except OSError as err:
        raise ImportRefused(f"{name}: cannot be read ({err.strerror})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header:
        raise ImportRefused(f"{name}: the file is empty (expected a header row, then one row per event)")
    columns = [h.strip().lower() for h in header]
    unknown = [c for c in columns if c not in REQUIRED + OPTIONAL]
    if unknown:
        raise ImportRefused(
            f"{name}: header column {columns.index(unknown[0]) + 1} {unknown[0]!r} is not a screening-log "
            f"column (expected {', '.join(REQUIRED + OPTIONAL)})"
        )
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise ImportRefused(
            f"{name}: required column {missing[0]!r} is missing (expected {', '.join(REQUIRED)})"
        )
    if len(set(columns)) != len(columns):
        raise ImportRefused(f"{name}: a header column is named twice")
    rows: list[Event] = []
    errors: list[str] = []
    for record in reader:
        line = reader.line_num
        if not any(v.strip() for v in record):
            continue
        if len(record) != len(columns):
            errors.append(f"{name} line {line}: {len(record)} fields, expected {len(columns)}")
            continue
        row = {c: v.strip() for c, v in zip(columns, record, strict=True)}
        for column in REQUIRED:
            if not row[column]:
                errors.append(f"{name} line {line}, column {column}: empty (a value is required)")
        until = _date(row.get("until", ""), line, "until", errors, name)
        decided_on = _date(row.get("decided_on", ""), line, "decided_on", errors, name) or today
        key = hashlib.sha256(repr(sorted((c, v) for c, v in row.items() if v)).encode("utf-8")).hexdigest()
        rows.append(
            Event(
                trial_id=row["trial_id"],
                patient_id=row["patient_id"],
                decided_by=row.get("decided_by") or by,
                decided_on=decided_on,
                state=row.get("state") or None,
                criterion_id=row.get("criterion") or None,
                decision=row.get("decision") or None,
                reason=row.get("reason") or None,
                until=until,
                note=row.get("note") or None,
                source="import",
                source_file=name,
                source_line=line,
                row_key=key,
            )
        )
    return rows, errors


def _column_of(message: str) -> str:
    """The import column a check's message is about (for 'line N, column C')."""
    checks = (
        (lambda m: m.startswith("decision date"), "decided_on"),
        (lambda m: "reason" in m.split("(")[0], "reason"),
        (lambda m: "until" in m.split("(")[0], "until"),
        (lambda m: m.startswith("criterion"), "criterion"),
        (lambda m: m.startswith("decision"), "decision"),
        (lambda m: m.startswith("the note"), "note"),
        (lambda m: m.startswith("--by"), "decided_by"),
        (lambda m: m.startswith("patient"), "patient_id"),
    )
    return next((column for test, column in checks if test(message)), "state")


def import_file(
    con: duckdb.DuckDBPyConnection, path: Path, trials_dir: Path, by: str, today: date | None = None
) -> ImportResult:
    """Validate every row of a screening-log CSV and record the new ones in one
    transaction; ImportRefused (nothing recorded) listing every bad row otherwise."""
    today = today or date.today()
    rows, errors = read_rows(path, by, today)
    loaded: dict[str, trials.Trial | None] = {}
    known = trials.discover_trials(trials_dir)
    recorded = skipped = 0
    con.execute("begin transaction")
    try:
        for event in rows:
            where = f"{path.name} line {event.source_line}"
            if event.trial_id not in known:
                errors.append(
                    f"{where}, column trial_id: {event.trial_id!r} is not a trial "
                    f"(expected one of {', '.join(known)})"
                )
                continue
            if event.trial_id not in loaded:
                loaded[event.trial_id] = trials.load_trial(trials_dir, event.trial_id)
            if con.execute(
                "select 1 from screening_events where trial_id = ? and row_key = ?",
                [event.trial_id, event.row_key],
            ).fetchone():
                skipped += 1
                continue
            try:
                events.record(con, loaded[event.trial_id], event, today)
                recorded += 1
            except CohortscanError as err:
                errors.append(f"{where}, column {_column_of(str(err))}: {err}")
        if errors:
            raise ImportRefused(
                f"{path.name}: {len(errors)} bad row(s), nothing recorded: "
                + "; ".join(errors[:SHOWN_ERRORS])
                + (f"; and {len(errors) - SHOWN_ERRORS} more" if len(errors) > SHOWN_ERRORS else "")
            )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return ImportResult(path.name, len(rows), recorded, skipped)
