"""A PostgreSQL server as the workspace's warehouse, through a ``postgresql`` workspace connection.

The same operations as the embedded DuckDB warehouse: queries return Arrow, loads take Arrow
(``COPY FROM STDIN``), copies read lake files on the server. A read-only caller's SQL runs in a
``READ ONLY`` transaction, which PostgreSQL itself enforces. Schema and table names are folded to
lower case as PostgreSQL does for unquoted names, so ``SELECT * FROM dbo.CustomerData`` finds the
table loaded as ``dbo.CustomerData``; column names keep their case.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
from psycopg import sql
from psycopg.conninfo import make_conninfo

from lakebox.entities.warehouse import LoadMode
from lakebox.errors import BadRequestError, NotFoundError, UnavailableError
from lakebox.lake.files import FileFormat, read_files
from lakebox.lake.warehouse import DEFAULT_SCHEMA, first_line, parse_table_name

_TYPES = (
    (pa.types.is_boolean, "boolean"),
    (pa.types.is_int8, "smallint"),
    (pa.types.is_int16, "smallint"),
    (pa.types.is_int32, "integer"),
    (pa.types.is_integer, "bigint"),
    (pa.types.is_floating, "double precision"),
    (pa.types.is_timestamp, "timestamptz"),
    (pa.types.is_date, "date"),
    (pa.types.is_decimal, "numeric"),
)


def _folded(name: str) -> tuple[str, str]:
    schema, table = parse_table_name(name)
    return schema.lower(), table.lower()


def _column_type(kind: pa.DataType) -> str:
    return next((name for test, name in _TYPES if test(kind)), "text")


class PostgresWarehouse:
    def __init__(self, target: str, user: str | None, password: str | None) -> None:
        self._conninfo = target.removeprefix("postgresql+psycopg://").replace("postgres://", "postgresql://")
        if not self._conninfo.startswith("postgresql://"):
            self._conninfo = f"postgresql://{self._conninfo}"
        credentials = {k: v for k, v in {"user": user, "password": password}.items() if v}
        self._conninfo = make_conninfo(self._conninfo, **credentials)
        with self._connect() as connection:
            connection.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(DEFAULT_SCHEMA)))

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            return psycopg.connect(self._conninfo, connect_timeout=10)
        except psycopg.OperationalError as exc:
            raise UnavailableError(f"cannot reach the PostgreSQL warehouse: {str(exc).strip()}") from None

    def query(self, statement: str, *, read_only: bool) -> pa.Table:
        with self._connect() as connection:
            connection.read_only = read_only
            try:
                cursor = connection.execute(statement.encode())
            except psycopg.Error as exc:
                raise BadRequestError(f"SQL error: {first_line(exc)}") from None
            if cursor.description is None:
                return pa.table({})
            names = [column.name for column in cursor.description]
            rows = cursor.fetchall()
            return pa.table({name: [row[i] for row in rows] for i, name in enumerate(names)})

    def load(self, name: str, data: pa.Table, mode: LoadMode = "append") -> tuple[int, int]:
        schema, table = _folded(name)
        target = sql.Identifier(schema, table)
        columns = sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(field.name), sql.SQL(_column_type(field.type)))
            for field in data.schema
        )
        with self._connect() as connection:
            try:
                connection.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
                exists = self._exists(connection, schema, table)
                if mode == "create" and exists:
                    raise BadRequestError(f"table {schema}.{table} exists; load with mode append or overwrite")
                if mode == "overwrite":
                    connection.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(target))
                if mode == "overwrite" or not exists:
                    connection.execute(sql.SQL("CREATE TABLE {} ({})").format(target, columns))
                names = sql.SQL(", ").join(sql.Identifier(n) for n in data.column_names)
                with connection.cursor().copy(sql.SQL("COPY {} ({}) FROM STDIN").format(target, names)) as copy:
                    for row in data.to_pylist():
                        copy.write_row(tuple(row.values()))
                total = connection.execute(sql.SQL("SELECT count(*) FROM {}").format(target)).fetchone()
            except psycopg.Error as exc:
                raise BadRequestError(f"cannot load into {schema}.{table}: {first_line(exc)}") from None
        rows = int(total[0]) if total else 0
        return rows, data.num_rows

    def copy_files(
        self, name: str, files: list[Path], file_format: FileFormat, mode: LoadMode = "append"
    ) -> tuple[int, int]:
        return self.load(name, read_files(files, file_format), mode)

    def tables(self) -> list[dict[str, object]]:
        with self._connect() as connection:
            found = connection.execute(
                "SELECT t.table_schema, t.table_name, "
                "(SELECT count(*) FROM information_schema.columns c "
                " WHERE c.table_schema = t.table_schema AND c.table_name = t.table_name) "
                "FROM information_schema.tables t WHERE t.table_schema NOT IN ('pg_catalog', 'information_schema') "
                "AND t.table_type = 'BASE TABLE' ORDER BY 1, 2"
            ).fetchall()
            return [{"schema": s, "name": t, "rows": self._count(connection, s, t), "columns": c} for s, t, c in found]

    def read_table(self, name: str) -> pa.Table:
        schema, table = _folded(name)
        with self._connect() as connection:
            if not self._exists(connection, schema, table):
                raise NotFoundError(f"table {schema}.{table} not found in the warehouse")
        return self.query(f'SELECT * FROM "{schema}"."{table}"', read_only=True)

    def close(self) -> None:
        """Nothing to close: every call has its own connection."""

    @staticmethod
    def _exists(connection: psycopg.Connection[Any], schema: str, table: str) -> bool:
        found = connection.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = %s AND table_name = %s", (schema, table)
        ).fetchone()
        return found is not None

    @staticmethod
    def _count(connection: psycopg.Connection[Any], schema: str, table: str) -> int:
        found = connection.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, table))).fetchone()
        return int(found[0]) if found else 0
