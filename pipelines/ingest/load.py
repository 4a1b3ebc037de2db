"""Ingest a drop folder into the warehouse's raw tables, file by file.

Every file is read by DuckDB (csv, csv.gz, parquet), checked against the contract by
`sql/ingest/check_<kind>.sql`, and loaded in one transaction: good rows into
`raw_<kind>`, bad rows into `quarantine` with file, line, column and a reason in words,
and one row in `load_ledger`. rows read = rows loaded + rows quarantined, always.

`ingest_drop` works on several files at once, each on a DuckDB cursor of its own, and
settles them (commit, ledger row, progress line) one after the other in file name order:
load ids, ledger rows, progress lines and the order of rows in the raw tables are those
of loading the files one by one.

Line numbers count lines as DuckDB's CSV reader does (see `pipelines/ingest/readers.py`): the
header is line 1, an empty line counts, and a quoted field holding a newline does not
start a new line. Parquet rows are numbered from 1. Messages shown to people read
`<file> line <n>: <reason>` (`locate`).
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from pipelines.errors import DropRefused, FileRefused
from pipelines.ingest import contract, readers
from pipelines.settings import SQL_DIR
from pipelines.warehouse.connect import first_row, ident, read_sql, scalar

CHECK_DIR = SQL_DIR / "ingest"
# Files in work at once: DuckDB's `threads` setting, at most this many (a file in work
# holds its checked rows in memory until it commits).
MAX_WORKERS = 4


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


def refuse_without_extracts(con: duckdb.DuckDBPyConnection, drop: Path, paths: list[Path]) -> None:
    """Refuse a drop read as contract extracts that holds no extract file at all.

    This is the contract reader's rule (`pipelines/ingest/forms.py` sends a folder of
    FHIR or OMOP files to their own readers); it applies when the drop is read as
    contract files, told so by its files or by `--format contract`.

    An extract file is one ending .csv, .csv.gz or .parquet (whatever its kind, which each
    file's own check reports). A folder holding only files of other kinds (`.ndjson`,
    `.txt`) is not a contract drop: it is refused with one line saying what it holds. An
    empty folder is refused only while nothing was ever loaded (later nights may screen
    the warehouse again with no new file).
    """
    if any(p.name.lower().endswith(contract.SUFFIXES) for p in paths):
        return
    expected = (
        "expected contract files named patients*, diagnoses*, labs* or medications* ending "
        ".csv, .csv.gz or .parquet; an OMOP or FHIR drop is read with --format omop or --format fhir"
    )
    if paths:
        raise DropRefused(
            f"{drop}: holds no extract file of the contract, only {_holdings(paths)} ({expected})"
        )
    if not scalar(con, "select count(*) from load_ledger where status = 'loaded'"):
        raise DropRefused(f"{drop}: the folder is empty and nothing was loaded before ({expected})")


def _holdings(paths: list[Path]) -> str:
    """'3 .ndjson files and 1 .txt file': the files of a folder counted by suffix."""
    counts: dict[str, int] = {}
    for path in paths:
        suffix = "".join(path.suffixes[-2:]) if path.suffix.lower() == ".gz" else path.suffix
        counts[suffix.lower()] = counts.get(suffix.lower(), 0) + 1
    parts = [
        f"{n} {label or 'extension-less'} file{'s' if n > 1 else ''}" for label, n in sorted(counts.items())
    ]
    return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]


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
    *,
    workers: int | None = None,
) -> list[FileResult]:
    """Load every new file of `drop`; files already loaded (same hash) are skipped.

    Up to `workers` files (default `ingest_workers(con)`) are read and checked at once,
    each in its own transaction on a cursor of its own. They settle (commit, ledger row,
    progress line) one after the other in file name order, so that the outcome is that
    of loading them one by one: the same load ids, ledger, rows and row order. A file
    with the same content as one in work waits until that one has settled (and is then
    skipped). An error stops the drop where loading one by one would stop: the files
    before it are committed, it and the files after it leave nothing.
    """
    paths = discover(drop)
    refuse_without_extracts(con, drop, paths)
    parallel = parallel_numbering(con, paths)
    workers = min(workers or ingest_workers(con), len(paths))
    if workers <= 1:
        results = []
        for path in paths:
            result = ingest_file(con, path, run_id, parallel=path in parallel)
            results.append(result)
            if progress:
                progress(describe(result))
        return results
    return _ingest_at_once(con, paths, run_id, progress, workers, parallel)


def parallel_numbering(con: duckdb.DuckDBPyConnection, paths: list[Path]) -> frozenset[Path]:
    """The files of a drop whose records are numbered on every thread (`readers.read_rows`).

    A file is, when it holds more than a 1/threads share of the drop's bytes: while it is
    in work, the other files cannot keep every core busy (a drop of one large labs file
    beside small ones). The other files are numbered as they are read, one thread each,
    which costs less CPU, and several are in work at once. Bytes on disk stand in for
    the work (a compressed file counts for less than it costs: an estimate)."""
    threads = int(scalar(con, "select current_setting('threads')"))
    sizes = {p: p.stat().st_size for p in paths if p.name.lower().endswith(contract.SUFFIXES)}
    total = sum(sizes.values())
    if threads <= 1 or total == 0:
        return frozenset()
    return frozenset(p for p, size in sizes.items() if size * threads > total)


def ingest_workers(con: duckdb.DuckDBPyConnection) -> int:
    """Files to ingest at once: DuckDB's `threads` setting, from 1 to MAX_WORKERS."""
    return max(1, min(int(scalar(con, "select current_setting('threads')")), MAX_WORKERS))


class _Cancelled(Exception):
    """A file before this one failed, or the drop was interrupted: leave nothing."""


class _Turns:
    """Files settle one after the other in file order, however their work overlaps. When a
    file fails, the files after it do not settle (those before it still do)."""

    def __init__(self) -> None:
        self._next = 0
        self._failed_at: int | None = None
        self._changed = threading.Condition()

    def wait(self, index: int) -> None:
        """Block until every file before `index` has settled; `_Cancelled` if one failed."""
        with self._changed:
            self._changed.wait_for(lambda: self._cancels(index) or self._next == index)
            if self._cancels(index):
                raise _Cancelled

    def done(self, index: int) -> None:
        with self._changed:
            self._next = index + 1
            self._changed.notify_all()

    def fail(self, index: int) -> None:
        """File `index` failed (-1: the drop was interrupted): no file after it settles."""
        with self._changed:
            self._failed_at = index if self._failed_at is None else min(index, self._failed_at)
            self._changed.notify_all()

    def _cancels(self, index: int) -> bool:
        return self._failed_at is not None and self._failed_at < index


@dataclass
class _Job:
    """One file of a drop ingested at once with others."""

    index: int  # place in file order: the file settles after every file before it
    load_id: int  # taken in file order, as loading one by one would
    digest: str
    turns: _Turns
    workers: threading.Semaphore  # held while the file is read, checked and inserted
    parallel: bool = False  # records numbered on every thread (see `parallel_numbering`)
    waited: float = 0.0  # seconds spent waiting for the file's turn (not its work)


def _ingest_at_once(
    con: duckdb.DuckDBPyConnection,
    paths: list[Path],
    run_id: str,
    progress: Callable[[str], None] | None,
    workers: int,
    parallel: frozenset[Path] = frozenset(),
) -> list[FileResult]:
    """`ingest_drop` with up to `workers` files in work at once (see there)."""
    turns = _Turns()
    semaphore = threading.Semaphore(workers)
    # A file done and waiting for its turn holds a thread, not a worker: a few threads
    # more than workers keep the workers busy behind a long file.
    window = min(len(paths), 4 * workers)
    pending: list[tuple[Future, duckdb.DuckDBPyConnection, str]] = []
    results: list[FileResult] = []

    def settle_first() -> None:
        future, _, _ = pending.pop(0)
        result = future.result()  # an error of that file stops the drop here
        results.append(result)
        if progress:
            progress(describe(result))

    pool = ThreadPoolExecutor(max_workers=window, thread_name_prefix="ingest")
    try:
        for index, path in enumerate(paths):
            digest = sha256_of(path)
            while any(d == digest for _, _, d in pending) or len(pending) >= window:
                settle_first()
            job = _Job(
                index,
                scalar(con, "select nextval('load_id_seq')"),
                digest,
                turns,
                semaphore,
                path in parallel,
            )
            cursor = con.cursor()  # made here: a connection is not shared between threads
            pending.append((pool.submit(_run_job, cursor, path, run_id, job), cursor, digest))
        while pending:
            settle_first()
    except BaseException:
        turns.fail(-1)
        for future, cursor, _ in pending:
            if not future.done():
                cursor.interrupt()  # the file rolls back
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        for _, cursor, _ in pending:
            cursor.close()  # files never started
    return results


def _run_job(cursor: duckdb.DuckDBPyConnection, path: Path, run_id: str, job: _Job) -> FileResult:
    try:
        return _ingest(cursor, path, run_id, job)
    except BaseException:
        job.turns.fail(job.index)
        raise
    finally:
        cursor.close()


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


def ingest_file(
    con: duckdb.DuckDBPyConnection, path: Path, run_id: str, *, parallel: bool | None = None
) -> FileResult:
    """Load one file in one transaction, or refuse it whole, or skip it as already loaded;
    `parallel`: its records numbered on every thread (default: `parallel_numbering` of
    a drop of this one file)."""
    if parallel is None:
        parallel = path in parallel_numbering(con, [path])
    return _ingest(con, path, run_id, None, parallel)


def _ingest(
    con: duckdb.DuckDBPyConnection, path: Path, run_id: str, job: _Job | None, parallel: bool = False
) -> FileResult:
    """`ingest_file`; as part of a drop ingested at once (`job`), the work waits for a free
    worker and the outcome (commit, ledger row) for the file's turn."""
    if job is not None:
        job.workers.acquire()
    started = time.monotonic()
    try:
        result, loading = _work(con, path, run_id, job, job.parallel if job is not None else parallel)
    finally:
        if job is not None:
            job.workers.release()
    try:
        if job is not None:
            waiting = time.monotonic()
            job.turns.wait(job.index)
            job.waited = time.monotonic() - waiting
        if loading:
            con.execute("commit")
            loading = False
        if result.status != "ignored":  # a file that is not data is not timed
            result.seconds = round(time.monotonic() - started - (job.waited if job else 0.0), 3)
        if result.status != "loaded":
            _record_ledger(con, result, run_id, path)
        else:
            con.execute(
                "update load_ledger set seconds = ? where load_id = ?", [result.seconds, result.load_id]
            )
    except BaseException:
        if loading:
            _rollback(con)
        raise
    finally:
        _drop_temp_tables(con)
    if job is not None:
        job.turns.done(job.index)
    return result


def _work(
    con: duckdb.DuckDBPyConnection, path: Path, run_id: str, job: _Job | None, parallel: bool
) -> tuple[FileResult, bool]:
    """Everything but the outcome: the result, and whether its transaction is open (a file
    being loaded, to commit) or not (a file refused, skipped or ignored: ledger row only)."""
    digest = job.digest if job is not None else sha256_of(path)
    kind = contract.kind_of(path)
    result = FileResult(path.name, kind.name if kind else None, digest, "refused")
    if job is not None:
        result.load_id = job.load_id
    if not path.name.lower().endswith(contract.SUFFIXES):
        # A README or checksum file beside the extracts is not data: reported, not refused.
        result.status = "ignored"
        result.message = "not an extract file (expected .csv, .csv.gz or .parquet)"
        return result, False
    previous = first_row(
        con,
        "select file_name from load_ledger where sha256 = ? and status = 'loaded' limit 1",
        [digest],
    )
    if previous:
        result.status = "skipped"
        result.message = f"same content as {previous[0]}, already loaded"
        return result, False
    if kind is None:
        result.message = (
            "file name matches no kind (expected a name starting with patients, diagnoses, "
            "labs, medications or procedures and ending .csv, .csv.gz or .parquet)"
        )
        return result, False
    con.execute("begin transaction")
    try:
        _load(con, path, kind, result, run_id, parallel)
        return result, True
    except FileRefused as err:
        _rollback(con)
        result.status, result.message, result.line = "refused", err.reason, err.line
        result.rows_read = result.rows_loaded = result.rows_quarantined = 0
        result.extra_columns = []
        return result, False
    except BaseException:
        _rollback(con)
        raise
    finally:
        _drop_temp_tables(con)  # the checked rows are in the raw tables now (or nowhere)


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back the file's transaction (already ended if its commit failed)."""
    with contextlib.suppress(duckdb.TransactionException):
        con.execute("rollback")


def _load(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    kind: contract.Kind,
    result: FileResult,
    run_id: str,
    parallel: bool = False,
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
        parallel=parallel,
    )
    if result.load_id is None:
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
    for pair in kind.one_of:
        if not any(c in headers for c in pair):
            either = " or ".join(repr(c) for c in pair)
            raise FileRefused(
                path.name,
                f"required column {either} is missing (a {kind.name} file needs "
                f"{', '.join(kind.required)} and {' or '.join(pair)})",
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
        "_incoming_text",
    ):
        con.execute(f"drop table if exists {table}")
