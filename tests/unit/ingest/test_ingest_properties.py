"""Property-based tests of ingest (Hypothesis): nothing lost, nothing invented.

For any generated labs table, written as CSV by Python's csv module (random column order,
header case and spacing, CRLF or LF, minimal or full quoting, values holding commas,
quotes, newlines and any Unicode text):

- rows read = rows loaded + rows quarantined;
- the rows loaded are exactly the rows the contract accepts, and each equals its source
  row after the documented normalisation: surrounding spaces trimmed, an empty field is
  NULL, a date or timestamp becomes its date, a number its double;
- every other row is in quarantine, at its own line.

`_expected` restates the rules of `sql/ingest/check_labs.sql` in Python, independently.
"""

from __future__ import annotations

import csv
import io
import math
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.ingest.load import ingest_file
from pipelines.warehouse.connect import connect

COLUMNS = (
    "patient_id",
    "code_system",
    "code",
    "result_date",
    "value_num",
    "value_text",
    "unit",
    "ref_low",
    "ref_high",
)
OPTIONAL = ("value_num", "value_text", "unit", "ref_low", "ref_high")
EXTRAS = ("notes", "lab_comment")

# Any character that UTF-8 can carry (no lone surrogates), with the troublesome ones often.
_chars = st.characters(blacklist_categories=("Cs",))
_text = st.one_of(
    st.text(_chars, max_size=12),
    st.text(st.sampled_from(list(" ,\"\n\r;\t'ab1-")), max_size=8),
)
_iso_dates = st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat)
_dates = st.one_of(
    _iso_dates,
    _iso_dates.map(lambda d: f" {d} "),
    _iso_dates.map(lambda d: d + " 08:15"),
    _iso_dates.map(lambda d: d + "T08:15:30.5Z"),
    st.sampled_from(["2025-02-30", "2025-13-01", "30/06/2025", "2025-6-3", "20250630", "", "  "]),
    _text,
)
_numbers = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.integers(-(10**20), 10**20).map(str),
    st.sampled_from(["5,2", "12a", "1 200", ".5", "5.", "-0", "+3", "1e999", "nan", "inf", "", " 7 "]),
    _text,
)
_code_systems = st.one_of(st.sampled_from(["LOINC", "loinc", " Loinc ", "SCORE", "score-", "LNC", ""]), _text)
_ids = st.one_of(st.sampled_from(["P1", " P2 ", "P" * 64, "P" * 65, ""]), _text)

_row = st.fixed_dictionaries(
    {
        "patient_id": _ids,
        "code_system": _code_systems,
        "code": st.one_of(st.sampled_from(["718-7", "SLEDAI2K", ""]), _text),
        "result_date": _dates,
        "value_num": _numbers,
        "value_text": st.one_of(st.sampled_from(["<0.5", "Positive", ""]), _text),
        "unit": st.one_of(st.sampled_from(["g/L", "10*9/L", ""]), _text),
        "ref_low": _numbers,
        "ref_high": _numbers,
        "notes": _text,
        "lab_comment": _text,
    }
)


@st.composite
def _tables(draw: st.DrawFn) -> tuple[list[str], list[str], list[dict[str, str]], str, int]:
    """(columns, header as written, rows, line terminator, csv quoting)."""
    optional = draw(st.lists(st.sampled_from(OPTIONAL), unique=True))
    extras = draw(st.lists(st.sampled_from(EXTRAS), unique=True, max_size=2))
    columns = draw(st.permutations([*COLUMNS[:4], *optional, *extras]))
    header = [
        draw(st.sampled_from(["", " ", "  "])) + draw(st.sampled_from([c, c.upper(), c.title()]))
        + draw(st.sampled_from(["", " "]))
        for c in columns
    ]  # fmt: skip
    rows = draw(st.lists(_row, max_size=12))
    terminator = draw(st.sampled_from(["\n", "\r\n"]))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    return list(columns), header, rows, terminator, quoting


def _csv(
    header: list[str], columns: list[str], rows: list[dict[str, str]], terminator: str, quoting: int
) -> str:
    """RFC 4180 text. The csv module quotes only the characters of its line terminator, so
    each record is written with CRLF (a CR or LF in a value is then quoted) and the records
    are joined with the terminator drawn."""
    records = []
    for values in [header, *([row[c] for c in columns] for row in rows)]:
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n", quoting=quoting).writerow(values)
        records.append(out.getvalue().removesuffix("\r\n"))
    return "".join(record + terminator for record in records)


_DATE_RE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?"
)
_NUM_RE = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")


# What DuckDB's trim() removes at both ends: the Unicode space separators (category Zs:
# the space, the no-break space U+00A0, U+2000..U+200A, U+3000, ...), not tabs or newlines.
_SPACES = "".join(chr(c) for c in range(0x3000 + 1) if unicodedata.category(chr(c)) == "Zs")


def _trim(value: str | None) -> str | None:
    """The documented normalisation of text: surrounding spaces trimmed, empty is NULL."""
    if value is None:
        return None
    return value.strip(_SPACES) or None


def _date(value: str | None) -> date | None:
    text = _trim(value)
    if text is None or not _DATE_RE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _num(value: str | None) -> float | None:
    text = _trim(value)
    if text is None or not _NUM_RE.fullmatch(text):
        return None
    number = float(text)
    return number if math.isfinite(number) else None


def _expected(row: dict[str, str], columns: list[str]) -> tuple | None:
    """The raw_labs row a source row must become, or None if it must be quarantined."""
    get = {c: (row[c] if c in columns else None) for c in COLUMNS}
    patient_id, code_system, code = _trim(get["patient_id"]), _trim(get["code_system"]), _trim(get["code"])
    result_date = _date(get["result_date"])
    value_num, value_text = _num(get["value_num"]), _trim(get["value_text"])
    ref_low, ref_high = _num(get["ref_low"]), _num(get["ref_high"])
    bad = (
        patient_id is None
        or len(patient_id) > 64
        or code_system is None
        or re.sub(r"[^A-Za-z0-9]", "", code_system).upper() not in ("LOINC", "SCORE")
        or code is None
        or result_date is None
        or (_trim(get["value_num"]) is not None and value_num is None)
        or (_trim(get["value_num"]) is None and value_text is None)
        or (_trim(get["ref_low"]) is not None and ref_low is None)
        or (_trim(get["ref_high"]) is not None and ref_high is None)
    )
    if bad:
        return None
    unit = _trim(get["unit"])
    return (patient_id, code_system, code, result_date, value_num, value_text, unit, ref_low, ref_high)


@pytest.fixture(scope="module")
def warehouse() -> Iterator[duckdb.DuckDBPyConnection]:
    """One in-memory warehouse for all examples (emptied by each); bootstrapping one per
    example would cost more than the ingest under test."""
    con = connect(":memory:")
    yield con
    con.close()


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=_tables(), parallel=st.booleans())
def test_every_row_is_loaded_as_its_normalised_source_or_quarantined_at_its_line(warehouse, table, parallel):
    columns, header, rows, terminator, quoting = table
    con = warehouse
    for name in ("raw_labs", "quarantine", "load_ledger"):
        con.execute(f"delete from {name}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "labs.csv"
        path.write_text(_csv(header, columns, rows, terminator, quoting), encoding="utf-8", newline="")
        result = ingest_file(con, path, "run1", parallel=parallel)
    assert result.status == "loaded", result.message
    assert result.rows_read == len(rows)
    assert result.rows_read == result.rows_loaded + result.rows_quarantined

    expected = {line: _expected(row, columns) for line, row in enumerate(rows, start=2)}
    loaded = con.execute(f"select _line, {', '.join(COLUMNS)} from raw_labs order by _line").fetchall()
    assert {r[0]: tuple(r[1:]) for r in loaded} == {k: v for k, v in expected.items() if v is not None}
    quarantined = [r[0] for r in con.execute("select line from quarantine order by line").fetchall()]
    assert quarantined == [line for line, v in expected.items() if v is None]
