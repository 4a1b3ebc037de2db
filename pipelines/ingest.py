"""Ingest a drop folder into the warehouse's raw tables, file by file.

Every file is read by DuckDB (csv, csv.gz, parquet), checked against the contract by
`sql/ingest/check_<kind>.sql`, and loaded in one transaction: good rows into
`raw_<kind>`, bad rows into `quarantine` with file, line, column and a reason in words,
and one row in `load_ledger`. rows read = rows loaded + rows quarantined, always.

Line numbers count records as DuckDB's CSV reader does: the header is line 1 and a
quoted field holding a newline does not start a new line. Parquet rows are numbered
from 1.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from pipelines import contract
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
    return f"{result.file_name}: {result.status} ({result.message})"


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
            result.status, result.message = "refused", err.reason
            result.rows_read = result.rows_loaded = result.rows_quarantined = 0
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
    headers = _read_into_incoming(con, path)
    _check_header(path, kind, headers, result)
    for column in kind.optional:
        if column not in headers:
            con.execute(f"alter table _incoming add column {ident(column)} varchar")
    checked = read_sql(CHECK_DIR / f"check_{kind.name}.sql")
    con.execute(f"create temp table _checked as {checked}")
    result.load_id = scalar(con, "select nextval('load_id_seq')")
    columns = ", ".join(ident(c) for c in kind.columns)
    con.execute(
        f"insert into raw_{kind.name} ({columns}, _load_id, _line) "
        f"select {columns}, ?, _line from _checked where len(_problems) = 0",
        [result.load_id],
    )
    con.execute(
        """
        insert into quarantine
        select ?, ?, ?, _line, _problems[1].column_name,
               array_to_string(list_transform(_problems, lambda p: p.reason), '; '),
               to_json(_raw)
        from (select c._line, c._problems, i as _raw
              from _checked c join _incoming i using (_line))
        where len(_problems) > 0
        """,
        [result.load_id, path.name, kind.name],
    )
    _quarantine_rejects(con, path, kind, result.load_id)
    counts = first_row(
        con,
        """
        select
            (select count(*) from _incoming) + (select count(*) from _rejected_lines),
            (select count(*) from _checked where len(_problems) = 0),
            (select count(*) from quarantine where load_id = ?)
        """,
        [result.load_id],
    )
    result.rows_read, result.rows_loaded, result.rows_quarantined = counts
    assert result.rows_read == result.rows_loaded + result.rows_quarantined
    result.status = "loaded"
    _record_ledger(con, result, run_id, path)


def _read_into_incoming(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """Read a file into temp table `_incoming` (all text, `_line`); return its headers."""
    name = str(path)
    fmt = contract.file_format(path)
    try:
        if fmt == "parquet":
            con.execute("create temp table _source as select * from read_parquet(?)", [name])
        else:
            if path.stat().st_size == 0:
                raise FileRefused(path.name, "the file is empty (expected a header row)")
            con.execute(
                """
                create temp table _source as select * from read_csv(
                    ?, all_varchar = true, header = true, delim = ',', quote = '"',
                    escape = '"', strict_mode = true, ignore_errors = true,
                    store_rejects = true, rejects_table = '_rejects',
                    rejects_scan = '_reject_scans', auto_detect = false, columns = ?
                )
                """,
                [name, _csv_columns(path)],
            )
    except duckdb.Error as err:
        raise FileRefused(path.name, f"cannot be read as {fmt}: {_first_line(err)}") from None
    headers = [r[0] for r in con.execute("describe _source").fetchall()]
    normalised = [contract.normalise_header(h) for h in headers]
    if fmt == "parquet":
        con.execute(
            "create temp table _rejects (line bigint, column_name varchar, error_type varchar, "
            "csv_line varchar, error_message varchar)"
        )
    # Good records get the line numbers left free by the rejected ones, in order.
    con.execute("create temp table _rejected_lines as select distinct line from _rejects")
    select = ", ".join(
        f"cast({ident_any(h)} as varchar) as {ident_any(n)}" for h, n in zip(headers, normalised, strict=True)
    )
    first_line = 1 if fmt == "parquet" else 2
    con.execute(
        f"""
        create temp table _incoming as
        with numbered as (
            -- rowids follow insertion order; inside a transaction they carry an offset
            select rowid - (select min(rowid) from _source) as _idx, {select} from _source
        ),
        free_lines as (
            select line, row_number() over (order by line) - 1 as _idx
            from range(?, ? + (select count(*) from _source) + (select count(*) from _rejected_lines)) t(line)
            where line not in (select line from _rejected_lines)
        )
        select f.line as _line, numbered.* exclude (_idx)
        from numbered join free_lines f using (_idx)
        """,
        [first_line, first_line],
    )
    return normalised


def _csv_columns(path: Path) -> dict[str, str]:
    """The header record of a CSV (plain or gzip), every column typed as text."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), None)
    except UnicodeDecodeError as err:
        raise FileRefused(path.name, f"the header is not UTF-8 text ({err.reason})") from None
    except (OSError, EOFError, csv.Error) as err:
        raise FileRefused(path.name, f"cannot be read as csv: {_first_line(err)}") from None
    if not header or all(not h.strip() for h in header):
        raise FileRefused(path.name, "the file has no header row (expected the contract's columns)")
    if any(not h.strip() for h in header):
        raise FileRefused(path.name, "the header has an empty column name")
    return {h: "VARCHAR" for h in header}


def _check_header(path: Path, kind: contract.Kind, headers: list[str], result: FileResult) -> None:
    for header in headers:
        if contract.names_direct_identifier(header):
            raise FileRefused(
                path.name,
                f"column '{header}' names a direct identifier; the file is refused whole "
                "(remove the column and deliver again)",
            )
    duplicated = sorted({h for h in headers if headers.count(h) > 1})
    if duplicated:
        raise FileRefused(path.name, f"column {duplicated[0]!r} appears twice in the header")
    missing = [c for c in kind.required if c not in headers]
    if missing:
        raise FileRefused(
            path.name,
            f"required column {missing[0]!r} is missing (a {kind.name} file needs "
            f"{', '.join(kind.required)})",
        )
    result.extra_columns = [h for h in headers if h not in kind.columns]


def ident_any(name: str) -> str:
    """Quote any header text as an identifier (used only on names read from a file)."""
    return '"' + name.replace('"', '""') + '"'


def _quarantine_rejects(
    con: duckdb.DuckDBPyConnection, path: Path, kind: contract.Kind, load_id: int
) -> None:
    """Records the CSV reader could not split into the header's fields go to quarantine."""
    con.execute(
        """
        insert into quarantine
        select ?, ?, ?, line, column_name,
               'the record could not be read: ' || lower(error_type::varchar) || ' ('
                   || error_message || ')',
               null
        from (select line, first(column_name) as column_name, first(error_type) as error_type,
                     first(error_message) as error_message
              from _rejects group by line)
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
        "_source",
        "_incoming",
        "_checked",
        "_rejects",
        "_reject_scans",
        "_rejected_lines",
    ):
        con.execute(f"drop table if exists {table}")


def _first_line(err: BaseException) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
