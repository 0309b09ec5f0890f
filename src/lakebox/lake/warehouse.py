"""The workspace's SQL warehouse: an embedded DuckDB database with Synapse-style schemas (``dbo``).

The server owns the database file and is its only process; callers reach it through the API
(queries in, Arrow out; Arrow in for loads). The engine has no file system access, so SQL cannot
read or write files on the server: data comes in only as Arrow through :meth:`Warehouse.load`.
Read-only callers' SQL runs as a subquery, which admits one ``SELECT`` and nothing else.
"""

from __future__ import annotations

import contextlib
import re
import threading
from pathlib import Path
from typing import Literal

import duckdb
import pyarrow as pa

from lakebox.errors import BadRequestError, NotFoundError, ValidationError

DEFAULT_SCHEMA = "dbo"
_IDENTIFIER = r"[A-Za-z_][A-Za-z0-9_]{0,127}"
_TABLE_NAME = re.compile(rf"^(?:\[?(?P<schema>{_IDENTIFIER})\]?\.)?\[?(?P<table>{_IDENTIFIER})\]?$")
LoadMode = Literal["append", "overwrite", "create"]


def parse_table_name(name: str) -> tuple[str, str]:
    """``dbo.CustomerData``, ``[dbo].[CustomerData]`` or ``CustomerData`` (schema dbo) to (schema, table)."""
    match = _TABLE_NAME.match(name.strip())
    if match is None:
        raise ValidationError(f"{name!r} is not a table name (schema.table, letters, digits and underscores)")
    return (match["schema"] or DEFAULT_SCHEMA), match["table"]


class Warehouse:
    """One DuckDB database file; thread-safe (a cursor per call, writes serialised)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._connection = duckdb.connect(str(path))
        self._connection.execute(f"CREATE SCHEMA IF NOT EXISTS {DEFAULT_SCHEMA}")
        self._connection.execute("SET enable_external_access = false")
        self._connection.execute("SET lock_configuration = true")
        self._write_lock = threading.Lock()

    def query(self, sql: str, *, read_only: bool) -> pa.Table:
        """Run ``sql``; its result as Arrow (empty for statements without one)."""
        statement = f"SELECT * FROM ({sql.strip().rstrip(';')})" if read_only else sql
        cursor = self._connection.cursor()
        try:
            with contextlib.nullcontext() if read_only else self._write_lock:
                relation = cursor.sql(statement)
                return relation.to_arrow_table() if relation is not None else pa.table({})
        except duckdb.Error as exc:
            raise BadRequestError(f"SQL error: {_first_line(exc)}") from exc
        finally:
            cursor.close()

    def load(self, name: str, data: pa.Table, mode: LoadMode = "append") -> int:
        """Load Arrow data into a table in one transaction; returns the rows the table then has.

        ``create`` makes a new table (an error if it exists), ``overwrite`` replaces the table,
        ``append`` adds rows to an existing table (created if missing) by column name.
        """
        schema, table = parse_table_name(name)
        target = f'"{schema}"."{table}"'
        cursor = self._connection.cursor()
        try:
            with self._write_lock:
                cursor.begin()
                cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
                cursor.register("lakebox_load", data)
                exists = self._exists(cursor, schema, table)
                if mode == "create" and exists:
                    raise BadRequestError(f"table {schema}.{table} exists; load with mode append or overwrite")
                if mode == "overwrite" or not exists:
                    cursor.execute(f"CREATE OR REPLACE TABLE {target} AS SELECT * FROM lakebox_load")
                else:
                    cursor.execute(f"INSERT INTO {target} BY NAME SELECT * FROM lakebox_load")
                rows = cursor.execute(f"SELECT count(*) FROM {target}").fetchall()[0][0]
                cursor.commit()
        except duckdb.Error as exc:
            raise BadRequestError(f"cannot load into {schema}.{table}: {_first_line(exc)}") from exc
        finally:
            cursor.close()
        return int(rows)

    def tables(self) -> list[dict[str, object]]:
        """Every table: schema, name, rows, columns."""
        cursor = self._connection.cursor()
        try:
            found = cursor.execute(
                "SELECT schema_name, table_name, estimated_size, column_count FROM duckdb_tables() "
                "ORDER BY schema_name, table_name"
            ).fetchall()
        finally:
            cursor.close()
        return [{"schema": s, "name": t, "rows": r, "columns": c} for s, t, r, c in found]

    def read_table(self, name: str) -> pa.Table:
        schema, table = parse_table_name(name)
        cursor = self._connection.cursor()
        try:
            if not self._exists(cursor, schema, table):
                raise NotFoundError(f"table {schema}.{table} not found in the warehouse")
            return cursor.sql(f'SELECT * FROM "{schema}"."{table}"').to_arrow_table()
        finally:
            cursor.close()

    def close(self) -> None:
        self._connection.close()

    @staticmethod
    def _exists(cursor: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
        found = cursor.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE lower(schema_name) = lower(?) AND lower(table_name) = lower(?)",
            [schema, table],
        ).fetchall()
        return bool(found[0][0])


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]
