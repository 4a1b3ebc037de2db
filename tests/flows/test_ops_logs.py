"""Logs carry counts and timings, never a patient's data.

Two scans run with every logger at DEBUG: a drop with quarantined rows, then a drop with
a file refused for a direct-identifier column. Every record any logger emits (message
and structured fields, as Prefect's JSON formatter writes them) and every log the
Prefect API received (what its UI shows) is searched for the drop's patient ids, birth
dates, lab values and the refused file's names.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from pipelines.errors import DropRefused
from pipelines.run.flows import scan_flow
from pipelines.settings import SQL_DIR
from tests.flows.ops_drop import HEADERS, make_rows, write_csv, write_drop

pytestmark = pytest.mark.slow

UNPROPAGATED = ("prefect.extra", "prefect._internal", "uvicorn", "fastapi")
BAD_LABS = [
    ["OPS-LOG-BAD-001", "LOINC", "718-7", "2026-11-01", "13,75", "", "g/dL", "", ""],
    ["OPS-LOG-BAD-002", "LOINC", "718-7", "2026-13-45", "88.88", "", "g/L", "", ""],
]
NAMES = ["Wilhelmina", "Quennell"]


class Capture(logging.Handler):
    """Every record, formatted as JSON with its extra fields."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        from prefect.logging.formatters import JsonFormatter

        self.setFormatter(JsonFormatter("default", "", "%"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def captured() -> Iterator[Capture]:
    handler = Capture()
    loggers = [logging.getLogger(), logging.getLogger("prefect")] + [
        logging.getLogger(n) for n in UNPROPAGATED
    ]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        if logger.name in UNPROPAGATED or logger is loggers[0]:
            logger.addHandler(handler)
    yield handler
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)
        logger.removeHandler(handler)


def _api_logs(since: datetime) -> list[str]:
    """Messages the Prefect API stored since `since` (what the UI shows)."""
    from prefect import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterTimestamp
    from prefect.logging.handlers import APILogHandler

    APILogHandler().flush()

    async def read() -> list[str]:
        messages: list[str] = []
        async with get_client() as client:
            while True:
                page = await client.read_logs(
                    log_filter=LogFilter(timestamp=LogFilterTimestamp(after_=since)),
                    limit=200,
                    offset=len(messages),
                )
                messages += [log.message for log in page]
                if len(page) < 200:
                    return messages

    return asyncio.run(read())


def _patient_values(rows, extra: list[list[str]]) -> set[str]:
    """Patient ids, birth dates and lab values of the drop."""
    values = {r[0] for r in rows.patients} | {r[2] for r in rows.patients if r[2]}
    values |= {r[4] for r in rows.labs if r[4]}
    values |= {field for row in extra for field in (row[0], row[3], row[4]) if field}
    return values


def _leaks(text: str, values: set[str]) -> list[str]:
    """Values found in `text` as whole tokens (a lab value inside a longer number is not one)."""
    found = []
    for value in values:
        if re.search(rf"(?<![\w.]){re.escape(value)}(?![\w])", text):
            found.append(value)
    return sorted(found)


def test_scan_logs_counts_and_timings_but_no_patient_data(tmp_path, captured):
    since = datetime.now(UTC)
    rows = make_rows(50, seed=41)
    drop = write_drop(tmp_path / "drop", rows)
    write_csv(drop / "labs-corrections.csv", "labs", BAD_LABS)  # both rows quarantined
    args = dict(
        warehouse=tmp_path / "wh.duckdb",
        out=tmp_path / "exports",
        trials_dir=SQL_DIR / "trials",
        trial_ids=["cart_autoimmune"],
    )
    summary = scan_flow(extracts=drop, **args)
    assert sum(f["rows_quarantined"] for f in summary["files"]) == 2

    refused = tmp_path / "refused"
    refused.mkdir()
    with (refused / "patients-with-names.csv").open("w", encoding="utf-8") as handle:
        handle.write(",".join([*HEADERS["patients"], "first_name", "last_name"]) + "\n")
        handle.write(",".join([*rows.patients[0], *NAMES]) + "\n")
    with pytest.raises(DropRefused, match="direct identifier"):
        scan_flow(extracts=refused, **args)

    ours = [record for record in map(json.loads, captured.lines) if record.get("cohortscan")]
    ingested = [r for r in ours if r.get("event") == "ingest"]
    assert ingested[0]["rows_quarantined"] == 2 and ingested[0]["seconds"] >= 0
    finished = [r for r in ours if r.get("event") == "run_finished"]
    assert set(finished[0]["timings"]) >= {"ingest", "criteria", "export"}

    values = _patient_values(rows, BAD_LABS) | set(NAMES)
    assert _leaks("\n".join(captured.lines), values) == []
    api = _api_logs(since)
    assert any("quarantined" in message for message in api)
    assert _leaks("\n".join(api), values) == []
