"""Great Expectations' SQL engine on the pipeline's own DuckDB connection.

Why GX's SQL datasource fails on DuckDB (GX issues #10738, #11579: IndexError in
`resolve_metric_bundle`, every expectation "N/A"): GX 1.x runs each metric query inside
`with engine.connect() as connection:` and calls `fetchall()` on the result after the
block has closed the connection. Closing rolls the connection's transaction back, and
duckdb-engine's cursor is the DuckDB connection itself, which drops a pending result when
it runs the next statement (here, that ROLLBACK). So every fetch returns no row. Drivers
such as psycopg2 buffer a result on the client at execute time, which is why the same
code works on PostgreSQL.

The fix here, with no change to GX: a duckdb-engine dialect (`duckdb+cohortscan://`)
whose cursors fetch their result when they execute (as psycopg2's do). GX's metric
queries return one row, and its row-returning queries are bounded by the result format
(`partial_unexpected_count`), so buffering costs nothing; DuckDB does the scan, with its
own memory limit and spilling, so every row is validated in bounded memory.

Its connections are cursors of a connection the pipeline registers (`register`): the same
database instance and settings (memory limit, temp directory), the same macros, no second
open of the warehouse file. A URL names a registered connection by key; the key is
dropped with `unregister`.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any

import duckdb
import duckdb_engine
import sqlalchemy
import sqlalchemy.dialects.postgresql
from sqlalchemy.dialects import registry

URL_PREFIX = "duckdb+cohortscan:///"

_connections: dict[str, duckdb.DuckDBPyConnection] = {}
_lock = threading.Lock()
_keys = itertools.count(1)


def register(con: duckdb.DuckDBPyConnection) -> str:
    """Make `con` reachable from SQLAlchemy; return the connection string naming it."""
    with _lock:
        key = f"con{next(_keys)}"
        _connections[key] = con
    return URL_PREFIX + key


def unregister(url: str) -> None:
    """Forget the connection a `register` URL names (the connection stays open)."""
    with _lock:
        _connections.pop(url.removeprefix(URL_PREFIX), None)


def sql_type(duckdb_type: str) -> sqlalchemy.types.TypeEngine:
    """The SQLAlchemy type named like a DuckDB type (`DATE`, `DOUBLE`, `VARCHAR`,
    `DECIMAL(18,3)` -> DECIMAL, `VARCHAR[]` -> ARRAY); NullType when SQLAlchemy has none."""
    if duckdb_type.endswith("[]"):
        return sqlalchemy.types.ARRAY(sql_type(duckdb_type[:-2]))
    base = duckdb_type.split("(", 1)[0].strip().upper().replace(" ", "_")
    found = getattr(sqlalchemy.types, base, None)
    if isinstance(found, type) and issubclass(found, sqlalchemy.types.TypeEngine):
        return found()
    return sqlalchemy.types.NullType()


class BufferedCursor(duckdb_engine.CursorWrapper):
    """A duckdb-engine cursor that holds its result once executed, so that closing or
    reusing the connection (SQLAlchemy's rollback on close) cannot drop it."""

    def __init__(self, con: duckdb.DuckDBPyConnection, wrapper: duckdb_engine.ConnectionWrapper) -> None:
        super().__init__(con, wrapper)
        self._con = con
        self._rows: list[tuple] = []
        self._description: Any = None

    def execute(self, statement: str, parameters: Any = None, context: Any = None) -> None:
        super().execute(statement, parameters, context)
        self._description = self._con.description
        self._rows = self._con.fetchall() if self._description else []

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return len(self._rows) if self._description else -1

    def fetchone(self) -> tuple | None:
        return self._rows.pop(0) if self._rows else None

    def fetchmany(self, size: int | None = None) -> list[tuple]:
        size = 1 if size is None else size
        rows, self._rows = self._rows[:size], self._rows[size:]
        return rows

    def fetchall(self) -> list[tuple]:
        rows, self._rows = self._rows, []
        return rows


class _Connection(duckdb_engine.ConnectionWrapper):
    """A duckdb-engine connection handing out buffered cursors."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        super().__init__(con)
        self._con = con

    def cursor(self) -> BufferedCursor:
        return BufferedCursor(self._con, self)


class _PostgresRegex(sqlalchemy.dialects.postgresql.dialect):
    """What GX's regex support looks for: it picks an operator by
    `issubclass(dialect.dialect, sqlalchemy.dialects.postgresql.dialect)`, as for a
    dialect module (the default PostgreSQL driver class differs between SQLAlchemy 2.0
    and 2.1, so this subclasses whichever is current). DuckDB's `~` and `!~` search like
    PostgreSQL's (unanchored, like pandas' `str.contains`, GX's pandas test)."""


class CohortscanDialect(duckdb_engine.Dialect):
    """duckdb-engine, on cursors of a registered connection, with buffered results."""

    driver = "cohortscan"
    supports_statement_cache = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # On the instance only: SQLAlchemy reads a class's `dialect` as a module's.
        self.dialect = _PostgresRegex

    def get_columns(self, connection, table_name: str, schema: str | None = None, **kw: Any) -> list[dict]:
        """Columns and their types from DuckDB's information_schema (the PostgreSQL
        catalogue queries SQLAlchemy 2.1 sends are not all answered by DuckDB)."""
        rows = connection.exec_driver_sql(
            "select column_name, data_type, is_nullable = 'YES' from information_schema.columns "
            "where table_name = ? and table_schema = coalesce(?, current_schema()) "
            "order by ordinal_position",
            (table_name, schema),
        ).fetchall()
        return [
            {"name": name, "type": sql_type(data_type), "nullable": nullable, "default": None}
            for name, data_type, nullable in rows
        ]

    def create_connect_args(self, url) -> tuple[list, dict]:
        return [url.database or ""], {}

    def connect(self, key: str, *args: Any, **kwargs: Any) -> _Connection:
        with _lock:
            con = _connections.get(key)
        if con is None:
            raise duckdb.ConnectionException(
                f"no DuckDB connection is registered as {key!r} (pipelines.checks.gx_duckdb.register)"
            )
        return _Connection(con.cursor())


registry.register("duckdb.cohortscan", __name__, "CohortscanDialect")
