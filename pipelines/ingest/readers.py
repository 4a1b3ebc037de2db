"""Read one drop file into DuckDB as text, or refuse it whole with a one-line reason.

Two steps, so that a file can be refused on its header before any of its content is read:
`read_header` (the column names, and the parquet types), then `read_rows`, which runs the
caller's query over `_incoming` (every column as text, plus `_line`) into a temp table, in
the same pass as the read, and fills `_rejects` (CSV records the reader could not split
into the header's fields). The file is read once: its records numbered as they come
(one thread per file; nothing but the query's result is kept) or, for a drop of fewer
files than cores, stored as text and numbered on every thread (see `read_rows`).

Line numbers are those of DuckDB's CSV reader: the header is line 1, an empty line counts
as a line (it is not a record and is skipped), and a newline inside a quoted field does
not start a new line. Without quoted newlines they are the line numbers an editor shows.
Parquet rows are numbered from 1.

What refuses a file whole (nothing of it is stored): an empty file, no header, a header
that is not UTF-8; a record that is not UTF-8 (a wrong encoding corrupts every text
value, so no row of the file can be trusted); a quote that is never closed or is followed
by text, or any other fault after which the reader cannot tell where records start (the
rows after it would be lost or invented); a truncated or damaged `.csv.gz`; a parquet file
that cannot be read, or whose column type cannot hold the contract's values (a
`result_date` stored as the integer 20250101: every row would be wrong the same way, and
a code stored as a float has already lost its digits). Messages never quote a file's
values: only line numbers, column names of the contract, types and counts.
"""

from __future__ import annotations

import csv
import gzip
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.errors import FileRefused
from pipelines.ingest import contract

# Longest record DuckDB's CSV reader accepts (its default max_line_size).
MAX_LINE_BYTES = 2_097_152
_BLOCK = 1 << 20

# DuckDB types a contract column may arrive as in a parquet file (cast to text on read).
_INTEGER_TYPES = frozenset(
    {
        "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
        "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
    }
)  # fmt: skip
_ACCEPTED_TYPES = {
    "text": _INTEGER_TYPES | {"VARCHAR", "UUID", '"NULL"'},
    "date": frozenset({"VARCHAR", "DATE", '"NULL"'}),
    "number": _INTEGER_TYPES | {"VARCHAR", "FLOAT", "DOUBLE", '"NULL"'},
}
_EXPECTED_WORDS = {
    "text": "text or integer",
    "date": "DATE, TIMESTAMP or text YYYY-MM-DD",
    "number": "a number type or text",
}


@dataclass(frozen=True)
class Header:
    """The columns of a file as delivered, normalised, and their types."""

    raw: list[str]
    names: list[str]
    types: list[str]

    @property
    def field_count(self) -> int:
        return len(self.raw)


def read_header(con: duckdb.DuckDBPyConnection, path: Path) -> Header:
    """The header of a drop file (no row is read); refuses an unreadable file."""
    if contract.file_format(path) == "parquet":
        raw, types = _parquet_header(con, path)
    else:
        raw = _csv_header(path)
        types = ["VARCHAR"] * len(raw)
    return Header(raw, [contract.normalise_header(h) for h in raw], types)


def check_types(path: Path, header: Header) -> None:
    """Refuse a parquet file whose contract column has a type that cannot hold its values."""
    for position, (name, type_) in enumerate(zip(header.names, header.types, strict=True), start=1):
        if name not in contract.ALL_COLUMNS:
            continue
        wanted = contract.column_type(name)
        if not _type_accepted(wanted, type_):
            raise FileRefused(
                path.name,
                f"column {name} (column {position}) has type {type_} "
                f"(expected {_EXPECTED_WORDS[wanted]}); the file is refused whole",
            )


def _type_accepted(wanted: str, type_: str) -> bool:
    if type_ in _ACCEPTED_TYPES[wanted]:
        return True
    if wanted == "date":
        return type_.startswith("TIMESTAMP")
    if wanted == "number":
        return type_.startswith("DECIMAL")
    return False


def read_rows(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    header: Header,
    query: str,
    *,
    into: str = "_checked",
    missing: tuple[str, ...] | list[str] = (),
    parallel: bool = False,
) -> None:
    """Run `query` over the file's records into temp table `into`; fill `_rejects`.

    `query` reads `_incoming`: `_line`, then every column as text under its normalised
    name, then the `missing` columns (NULL). Two ways to number the records:

    - streaming (default): numbered as they come, in the same pass as the read and the
      query; nothing of `_incoming` is stored, but the numbering (a window over the
      whole file) keeps the file's work on one thread. Right when other files keep the
      other cores busy (a drop of many files, ingested several at once).
    - `parallel`: the records are first stored as text in a temp table (DuckDB keeps the
      file's order, so a record's rowid is its place among the records), then numbered
      from rowid and queried on every thread. It costs the text table (memory, spilled
      to disk past DuckDB's limit) and about a fifth more CPU, and pays when a file
      would otherwise leave cores idle (a drop of one large file).

    When a CSV record was rejected or a line is empty (rare), the good records get, in
    order, the line numbers left free, and `into` is written in line order: the
    streaming way reads the file a second time for it, the parallel way its text table.
    """
    parquet = contract.file_format(path) == "parquet"
    first_line = 1 if parquet else 2
    source, params = _source(path, header, store_rejects=not parquet)
    select = _text_columns(header, missing)
    try:
        if parallel:
            con.execute(f"create temp table _incoming_text as select {select} from {source}", params)
            numbered, params = _numbered_text_table(con), []
        else:
            numbered = f"select row_number() over () - 1 as _idx, {select} from {source}"
        incoming = f"select _idx + {first_line} as _line, * exclude (_idx) from ({numbered})"
        con.execute(f"create temp table {into} as with _incoming as ({incoming}) {query}", params)
    except duckdb.InterruptException:
        raise
    except duckdb.Error:
        # The read or the query failed: a file the reader cannot read is refused; an
        # error of the query itself is ours and goes on.
        _refuse_unreadable(con, path, header)
        raise
    try:
        if parquet:
            con.execute(
                "create temp table _rejects (line bigint, column_idx bigint, column_name varchar, "
                "error_type varchar, csv_line varchar)"
            )
            return
        _refuse_unframed(con, path)
        if _renumber_after_rejected_lines(con, path, first_line, into):
            if not parallel:
                # the second read skips the same rejected records, so it numbers the same
                # records (its rejects are not stored again)
                source, params = _source(path, header, store_rejects=False)
                numbered = f"select row_number() over () - 1 as _idx, {select} from {source}"
            incoming = f"""
                select f.line as _line, numbered.* exclude (_idx)
                from ({numbered}) numbered
                join _free_lines f using (_idx)
            """
            con.execute(f"drop table {into}")
            con.execute(
                f"create temp table {into} as with _incoming as ({incoming}) "
                f"select * from ({query}) order by _line",
                params,
            )
    finally:
        con.execute("drop table if exists _incoming_text")


def _numbered_text_table(con: duckdb.DuckDBPyConnection) -> str:
    """The SELECT numbering the records of `_incoming_text` (`_idx` from 0, in file order).

    DuckDB stores the rows of one insert in their order, so rowids follow the records;
    inside an open transaction they start at a large offset instead of 0 (rows not yet
    committed), hence the subtraction. Contiguous rowids are checked, not assumed: should
    they ever have gaps, the records are numbered by sorting on rowid instead."""
    low, high, rows = con.execute("select min(rowid), max(rowid), count(*) from _incoming_text").fetchone()
    if rows == 0 or high - low + 1 == rows:
        return f"select rowid - {low or 0} as _idx, * from _incoming_text"
    return "select row_number() over (order by rowid) - 1 as _idx, * from _incoming_text"


def _renumber_after_rejected_lines(
    con: duckdb.DuckDBPyConnection, path: Path, first_line: int, into: str
) -> bool:
    """Fill `_free_lines` (the line of the n-th good record, `_idx` n from 0) when a record
    was rejected or a line is empty; False, with nothing to do, for the usual file."""
    blank = blank_lines(path)
    con.execute("create temp table _blank_lines (line bigint)")
    if blank:
        con.executemany("insert into _blank_lines values (?)", [[n] for n in blank])
    con.execute(
        "create temp table _rejected_lines as "
        "select distinct line from _rejects union select line from _blank_lines"
    )
    if con.execute("select count(*) from _rejected_lines").fetchone()[0] == 0:
        return False  # the usual file: lines follow the records
    con.execute(
        f"""
        create temp table _free_lines as
        select line, row_number() over (order by line) - 1 as _idx
        from range(?, ? + (select count(*) from {into}) + (select count(*) from _rejected_lines)) t(line)
        where line not in (select line from _rejected_lines)
        """,
        [first_line, first_line],
    )
    return True


def _text_columns(header: Header, missing: tuple[str, ...] | list[str]) -> str:
    """The select list of `_incoming` after `_line`: every column as text, then NULLs."""
    columns = [
        f"{_as_text(raw, type_)} as {quote_ident(name)}"
        for raw, name, type_ in zip(header.raw, header.names, header.types, strict=True)
    ]
    columns += [f"cast(null as varchar) as {quote_ident(name)}" for name in missing]
    return ", ".join(columns)


def _source(path: Path, header: Header, *, store_rejects: bool) -> tuple[str, list]:
    """The table function reading the file (and its parameters): all columns as text."""
    if contract.file_format(path) == "parquet":
        return "read_parquet(?)", [str(path)]
    rejects = (
        "store_rejects = true, rejects_table = '_rejects', rejects_scan = '_reject_scans', "
        if store_rejects
        else ""
    )
    columns = {raw: "VARCHAR" for raw in header.raw}
    return (
        f"""read_csv(
            ?, all_varchar = true, header = true, delim = ',', quote = '"',
            escape = '"', strict_mode = true, ignore_errors = true, {rejects}
            auto_detect = false, columns = ?, max_line_size = ?
        )""",
        [str(path), columns, MAX_LINE_BYTES],
    )


def _refuse_unreadable(con: duckdb.DuckDBPyConnection, path: Path, header: Header) -> None:
    """Refuse the file if the reader alone cannot read it; return if it can.

    Run on a connection of its own: the failed statement has aborted the transaction.
    The read is the first pass's, every value kept (in temp tables of that connection,
    dropped with it).
    """
    source, params = _source(path, header, store_rejects=True)
    probe = con.cursor()
    try:
        probe.execute(f"create temp table _probe as select * from {source}", params)
    except duckdb.Error as err:
        if contract.file_format(path) == "parquet":
            raise FileRefused(
                path.name, "is not a readable parquet file (truncated or damaged?); deliver it again"
            ) from None
        # DuckDB's own text may quote the record; we say what we can find ourselves.
        problem = (
            _gzip_problem(path) if path.name.lower().endswith(".gz") else None
        ) or _line_ending_problem(path)
        raise FileRefused(
            path.name, problem or f"cannot be read as CSV (the reader stopped: {type(err).__name__})"
        ) from None
    finally:
        probe.close()


def _parquet_header(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[list[str], list[str]]:
    try:
        rows = con.execute("describe select * from read_parquet(?)", [str(path)]).fetchall()
    except duckdb.Error:
        raise FileRefused(
            path.name, "is not a readable parquet file (truncated or not parquet?); deliver it again"
        ) from None
    return [r[0] for r in rows], [r[1] for r in rows]


def _csv_header(path: Path) -> list[str]:
    """The header record, read by Python's csv module; the file is refused if it has none."""
    if path.stat().st_size == 0:
        raise FileRefused(path.name, "the file is empty (expected a header row, then records)")
    try:
        start = next(_bytes(path, 4), b"")
        if start.startswith(b"\x1f\x8b"):
            raise FileRefused(
                path.name,
                "holds gzip data inside its gzip data (compressed twice?)"
                if path.name.lower().endswith(".gz")
                else "is gzip-compressed (expected plain CSV for a .csv name; name it .csv.gz)",
            )
        if start.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise FileRefused(path.name, "is UTF-16 or UTF-32 text (expected UTF-8); re-export it as UTF-8")
        if b"\x00" in start:
            raise FileRefused(
                path.name,
                "holds NUL bytes, so it is not UTF-8 text (UTF-16 without a byte-order mark, or "
                "binary data?); re-export it as UTF-8 CSV",
            )
        with _open_text(path) as handle:
            header = next(csv.reader(handle), None)
    except (EOFError, gzip.BadGzipFile, zlib.error):
        raise FileRefused(path.name, _gzip_problem(path) or "cannot be read as csv.gz") from None
    except csv.Error as err:
        raise FileRefused(path.name, f"the header cannot be read as CSV ({err})") from None
    if not header or all(not h.strip() for h in header):
        raise FileRefused(path.name, "the first line is empty (expected the header row)")
    if any(_has_undecodable(h) for h in header):
        raise FileRefused(path.name, "the header is not UTF-8 text (expected UTF-8; re-export it as UTF-8)")
    empty = [i for i, h in enumerate(header, start=1) if not contract.normalise_header(h)]
    if empty:
        raise FileRefused(path.name, f"header column {empty[0]} has no name (every column needs one)")
    return header


def _open_text(path: Path):
    """The file as text: UTF-8 with an optional byte-order mark; bytes that are not UTF-8
    become lone surrogates instead of an error, so the header can be checked on its own."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    return opener(path, "rt", encoding="utf-8-sig", errors="surrogateescape", newline="")


def _has_undecodable(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _refuse_unframed(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """A record that is not UTF-8, or after which records cannot be told apart, refuses the file."""
    row = con.execute(
        """
        select line, column_name, error_type::varchar from _rejects
        where error_type in ('INVALID ENCODING', 'UNQUOTED VALUE', 'INVALID STATE')
        order by line limit 1
        """
    ).fetchone()
    if row is None:
        return
    line, column, error_type = row
    column_name = contract.normalise_header(column or "")
    if error_type == "INVALID ENCODING":
        reason = (
            "is not UTF-8 text (expected UTF-8: a wrong encoding corrupts every text value, "
            "so the file is refused whole; re-export it as UTF-8)"
        )
    elif error_type == "UNQUOTED VALUE":
        where = f"in column {column_name} " if column_name in contract.ALL_COLUMNS else ""
        reason = (
            f"a quote {where}is not closed or is followed by text (expected RFC 4180 quoting, "
            '"..." with "" for a quote inside); the file is refused whole because the records '
            "after it cannot be told apart"
        )
    else:
        reason = (
            "the CSV reader lost track of where records start (expected RFC 4180 CSV); "
            "the file is refused whole"
        )
    raise FileRefused(path.name, reason, line=int(line))


def _as_text(raw: str, type_: str) -> str:
    """A column as text; a zoned timestamp is read in UTC so its date part does not depend
    on the machine's time zone."""
    if type_.startswith("TIMESTAMP WITH TIME ZONE") or type_.startswith("TIMESTAMPTZ"):
        return f"cast(timezone('UTC', {quote_ident(raw)}) as varchar)"
    return f"cast({quote_ident(raw)} as varchar)"


def quote_ident(name: str) -> str:
    """Quote any header text as an identifier (used only on names read from a file)."""
    return '"' + name.replace('"', '""') + '"'


def _bytes(path: Path, block: int = _BLOCK) -> Iterator[bytes]:
    """The file's content (decompressed for .gz) in blocks."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as handle:
        yield from iter(lambda: handle.read(block), b"")


def blank_lines(path: Path) -> list[int]:
    """Line numbers (as DuckDB's reader counts them) of the empty lines of a CSV file.

    A quick byte scan first: most files have none, and only those that do are read a
    second time, record by record, with Python's csv module.
    """
    if not _has_empty_line(path):
        return []
    csv.field_size_limit(max(csv.field_size_limit(), MAX_LINE_BYTES))
    with _open_text(path) as handle:
        return [n for n, record in enumerate(csv.reader(handle), start=1) if not record]


_EMPTY_LINE = re.compile(b"\n\r?\n")


def _has_empty_line(path: Path) -> bool:
    tail = b""  # the last two bytes read, for an empty line across two blocks
    for block in _bytes(path):
        if _EMPTY_LINE.search(block) or _EMPTY_LINE.search(tail + block[:2]):
            return True
        tail = (tail + block)[-2:]
    return False


def _gzip_problem(path: Path) -> str | None:
    """Why a .csv.gz cannot be decompressed, in words, or None if it can."""
    try:
        for _ in _bytes(path):
            pass
    except EOFError:
        return "the gzip data ends early: the file is truncated (expected a complete .csv.gz; copy it again)"
    except (gzip.BadGzipFile, zlib.error, OSError):
        return "is not valid gzip data (expected a gzip-compressed CSV for a .csv.gz name)"
    return None


def _line_ending_problem(path: Path) -> str | None:
    """Line endings the reader cannot follow, in words: CRLF on some lines and LF alone on
    others, or a carriage return alone (outside quotes, where it ends a line)."""
    crlf = lone_lf = lone_cr = False
    previous = b""
    try:
        for block in _bytes(path):
            chunk = previous + block
            single = chunk.replace(b"\r\n", b"")
            crlf = crlf or b"\r\n" in chunk
            lone_lf = lone_lf or b"\n" in single
            # a CR at the very end of a block may be followed by the next block's LF
            lone_cr = lone_cr or b"\r" in single[:-1]
            previous = block[-1:]
    except (EOFError, gzip.BadGzipFile, zlib.error, OSError):
        return None
    if lone_cr:
        return (
            "has a carriage return (CR) that is not part of a CRLF line ending (expected CRLF "
            "or LF line endings, and CR inside a value only between quotes); re-export the file"
        )
    if crlf and lone_lf:
        return "mixes CRLF and LF line endings (expected one kind throughout); re-export the file"
    return None
