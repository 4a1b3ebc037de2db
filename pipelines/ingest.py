"""Ingest a drop folder into the warehouse's raw tables, file by file.

Every file is read by DuckDB (csv, csv.gz, parquet), checked against the contract by
`sql/ingest/check_<kind>.sql`, and loaded in one transaction: good rows into
`raw_<kind>`, bad rows into `quarantine` with file, line, column and a reason in words,
and one row in `load_ledger`. rows read = rows loaded + rows quarantined, always.

Line numbers count lines as DuckDB's CSV reader does (see `pipelines/readers.py`): the
header is line 1, an empty line counts, and a quoted field holding a newline does not
start a new line. Parquet rows are numbered from 1. Messages shown to people read
`<file> line <n>: <reason>` (`locate`).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from pipelines import contract, readers
from pipelines.errors import DropRefused, FileRefused
from pipelines.settings import SQL_DIR
from pipelines.warehouse import first_row, ident, read_sql, scalar

CHECK_DIR = SQL_DIR / "ingest"


@dataclass
class FileResult:
    """What happened to one file of a drop."""

    file_name: str
    kind: str | None
    sha256: str
    status: str  # loaded | skipped | refused | ignored
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    extra_columns: list[str] = field(default_factory=list)
    message: str | None = None
    line: int | None = None  # where a refused file's fault is, when it has one place
    load_id: int | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


def discover(drop: Path) -> list[Path]:
    """Every regular file in the drop folder, sorted by name (hidden files ignored)."""
    if not drop.is_dir():
        raise DropRefused(f"{drop}: the extracts folder does not exist or is not a folder")
    return sorted(p for p in drop.iterdir() if p.is_file() and not p.name.startswith("."))


def sha256_of(path: Path) -> str:
    """Content hash of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ingest_drop(
    con: duckdb.DuckDBPyConnection,
    drop: Path,
    run_id: str,
    progress: Callable[[str], None] | None = None,
) -> list[FileResult]:
    """Load every new file of `drop`; files already loaded (same hash) are skipped."""
    results = []
    for path in discover(drop):
        result = ingest_file(con, path, run_id)
        results.append(result)
        if progress:
            progress(describe(result))
    return results


def describe(result: FileResult) -> str:
    """One line for the terminal and the logs (counts only, never row content)."""
    if result.status == "loaded":
        return (
            f"{result.file_name}: {result.rows_read} read, {result.rows_loaded} loaded, "
            f"{result.rows_quarantined} quarantined"
        )
    if result.status == "refused":
        return locate(result.file_name, result.line, f"refused: {result.message}")
    return f"{result.file_name}: {result.status} ({result.message})"


def locate(file_name: str, line: int | None, reason: str) -> str:
    """`labs.csv line 14: <reason>`; a parquet file has rows; no line: `labs.csv: <reason>`."""
    if line is None:
        return f"{file_name}: {reason}"
    word = "row" if file_name.lower().endswith(".parquet") else "line"
    return f"{file_name} {word} {line}: {reason}"


def refusal(file: dict) -> str:
    """The one-line message of a refused file, from `FileResult.as_dict()`."""
    return locate(file["file_name"], file.get("line"), file["message"])


def quarantine_examples(
    con: duckdb.DuckDBPyConnection, load_ids: list[int], per_file: int = 3
) -> dict[int, list[str]]:
    """The first quarantined rows of each load, as `<file> line <n>: <reason>` lines.

    Reasons name the column and the bad value (a date, a number, a code system), never a
    direct identifier: a file with such a column is refused before any row is read.
    """
    if not load_ids:
        return {}
    rows = con.execute(
        """
        select load_id, file_name, line, reason from quarantine
        where list_contains(?, load_id)
        qualify row_number() over (partition by load_id order by line, reason) <= ?
        order by load_id, line, reason
        """,
        [load_ids, per_file],
    ).fetchall()
    examples: dict[int, list[str]] = {}
    for load_id, file_name, line, reason in rows:
        examples.setdefault(load_id, []).append(locate(file_name, line, reason))
    return examples


def ingest_file(con: duckdb.DuckDBPyConnection, path: Path, run_id: str) -> FileResult:
    """Load one file in one transaction, or refuse it whole, or skip it as already loaded."""
    started = time.monotonic()
    digest = sha256_of(path)
    kind = contract.kind_of(path)
    result = FileResult(path.name, kind.name if kind else None, digest, "refused")
    if not path.name.lower().endswith(contract.SUFFIXES):
        # A README or checksum file beside the extracts is not data: reported, not refused.
        result.status = "ignored"
        result.message = "not an extract file (expected .csv, .csv.gz or .parquet)"
        _record_ledger(con, result, run_id, path)
        return result
    previous = first_row(
        con,
        "select file_name from load_ledger where sha256 = ? and status = 'loaded' limit 1",
        [digest],
    )
    if previous:
        result.status = "skipped"
        result.message = f"same content as {previous[0]}, already loaded"
    elif kind is None:
        result.message = (
            "file name matches no kind (expected a name starting with patients, diagnoses, "
            "labs or medications and ending .csv, .csv.gz or .parquet)"
        )
    else:
        con.execute("begin transaction")
        try:
            _load(con, path, kind, result, run_id)
            con.execute("commit")
        except FileRefused as err:
            con.execute("rollback")
            result.status, result.message, result.line = "refused", err.reason, err.line
            result.rows_read = result.rows_loaded = result.rows_quarantined = 0
            result.extra_columns = []
        except BaseException:
            con.execute("rollback")
            raise
        finally:
            _drop_temp_tables(con)
    result.seconds = round(time.monotonic() - started, 3)
    if result.status != "loaded":
        _record_ledger(con, result, run_id, path)
    else:
        con.execute("update load_ledger set seconds = ? where load_id = ?", [result.seconds, result.load_id])
    return result


def _load(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    kind: contract.Kind,
    result: FileResult,
    run_id: str,
) -> None:
    header = readers.read_header(con, path)
    # Refused on its header alone, a file leaves nothing of its content behind.
    _check_header(path, kind, header.names, result)
    readers.check_types(path, header)
    columns = ", ".join(ident(c) for c in kind.columns)
    checked = read_sql(CHECK_DIR / f"check_{kind.name}.sql")
    # Read and checked in one pass: the text of a record is kept only if it is quarantined.
    readers.read_rows(
        con,
        path,
        header,
        f"select _line, {columns}, _problems, "
        f"case when len(_problems) > 0 then to_json(_raw) end as _raw from ({checked})",
        into="_checked",
        missing=[c for c in kind.optional if c not in header.names],
    )
    result.load_id = scalar(con, "select nextval('load_id_seq')")
    con.execute(
        f"insert into raw_{kind.name} ({columns}, _load_id, _line) "
        f"select {columns}, ?, _line from _checked where len(_problems) = 0",
        [result.load_id],
    )
    con.execute(
        """
        insert into quarantine
        select ?, ?, ?, _line, _problems[1].column_name,
               array_to_string(list_transform(_problems, lambda p: p.reason), '; '), _raw
        from _checked
        where len(_problems) > 0
        """,
        [result.load_id, path.name, kind.name],
    )
    _quarantine_rejects(con, path, kind, result.load_id, header.field_count)
    counts = first_row(
        con,
        """
        select
            (select count(*) from _checked) + (select count(distinct line) from _rejects),
            (select count(*) from _checked where len(_problems) = 0),
            (select count(*) from quarantine where load_id = ?)
        """,
        [result.load_id],
    )
    result.rows_read, result.rows_loaded, result.rows_quarantined = counts
    assert result.rows_read == result.rows_loaded + result.rows_quarantined
    result.status = "loaded"
    _record_ledger(con, result, run_id, path)


def _check_header(path: Path, kind: contract.Kind, headers: list[str], result: FileResult) -> None:
    """Refuse a header naming a direct identifier, repeating a column or missing one.

    Only contract column names are quoted: in a file sent without its header row the
    first record stands in the header's place, and its values must not reach a message.
    """
    for position, header in enumerate(headers, start=1):
        found = contract.direct_identifier(header)
        if found:
            raise FileRefused(
                path.name,
                f"header column {position} names a direct identifier ({found}); the file is "
                "refused whole and nothing of it is stored (remove the column and deliver again)",
            )
    for position, header in enumerate(headers, start=1):
        if header in headers[: position - 1]:
            first = headers.index(header) + 1
            named = f" ({header})" if header in contract.ALL_COLUMNS else ""
            raise FileRefused(path.name, f"header columns {first} and {position} have the same name{named}")
    missing = [c for c in kind.required if c not in headers]
    if missing:
        near = [h for h in headers if contract.squeeze(h) == contract.squeeze(missing[0])]
        hint = f"; found {near[0]!r}, spelled differently" if near else ""
        raise FileRefused(
            path.name,
            f"required column {missing[0]!r} is missing (a {kind.name} file needs "
            f"{', '.join(kind.required)}{hint})",
        )
    result.extra_columns = [h for h in headers if h not in kind.columns]


def _quarantine_rejects(
    con: duckdb.DuckDBPyConnection, path: Path, kind: contract.Kind, load_id: int, fields: int
) -> None:
    """Records the CSV reader could not split into the header's fields go to quarantine,
    with their raw text (a JSON string) and the count of fields found and expected."""
    con.execute("set variable ingest_expected_fields = ?", [fields])
    con.execute("set variable ingest_max_line_bytes = ?", [readers.MAX_LINE_BYTES])
    rejected = read_sql(CHECK_DIR / "rejected_records.sql")
    con.execute(
        f"""
        insert into quarantine
        select ?, ?, ?, line, column_name, reason, raw_record from ({rejected})
        """,
        [load_id, path.name, kind.name],
    )


def _record_ledger(
    con: duckdb.DuckDBPyConnection, result: FileResult, run_id: str | None, path: Path
) -> None:
    if result.load_id is None:
        result.load_id = scalar(con, "select nextval('load_id_seq')")
    con.execute(
        "insert into load_ledger values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            result.load_id,
            run_id,
            result.file_name,
            result.kind,
            result.sha256,
            path.stat().st_size,
            result.status,
            result.rows_read,
            result.rows_loaded,
            result.rows_quarantined,
            result.extra_columns,
            result.message,
            datetime.now(),
            result.seconds,
        ],
    )


def _drop_temp_tables(con: duckdb.DuckDBPyConnection) -> None:
    for table in (
        "_checked",
        "_rejects",
        "_reject_scans",
        "_rejected_lines",
        "_blank_lines",
        "_free_lines",
    ):
        con.execute(f"drop table if exists {table}")
