"""The raw tables' column types, which the raw GX suites no longer check row by row.

Checked once (issue 20): a contract date column of a raw table is DATE and a number
column DOUBLE, so no row of it can hold anything else; ingest quarantines what does not
parse. This pins the types the removed `*_is_a_date` / `*_is_a_number` checks guarded.
"""

from __future__ import annotations

import pytest

from pipelines.ingest import contract
from pipelines.warehouse.connect import connect

EXPECTED_TYPE = {"date": "DATE", "number": "DOUBLE", "text": "VARCHAR"}


@pytest.fixture(scope="module")
def types() -> dict[tuple[str, str], str]:
    con = connect(":memory:")
    try:
        rows = con.execute(
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_name like 'raw\\_%' escape '\\'"
        ).fetchall()
    finally:
        con.close()
    return {(table, column): data_type for table, column, data_type in rows}


@pytest.mark.parametrize(
    ("kind", "column"),
    [
        pytest.param(kind.name, column, id=f"{kind.name}.{column}")
        for kind in contract.KINDS.values()
        for column in kind.columns
    ],
)
def test_raw_contract_column_has_the_contract_type(types, kind: str, column: str) -> None:
    expected = EXPECTED_TYPE[contract.column_type(column)]
    if column == "birth_year":
        expected = "INTEGER"  # a year, typed by ingest as an integer
    assert types[(f"raw_{kind}", column)] == expected
