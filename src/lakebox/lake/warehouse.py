"""The workspace's SQL warehouse: an embedded DuckDB database with Synapse-style schemas (``dbo``).

The server owns the database file and is its only process; callers reach it through the API
(queries in, Arrow out; Arrow in for loads). The engine has no file system access, so SQL cannot
read or write files on the server, except in a private staging folder where a copy from the lake
(:meth:`Warehouse.copy_files`) links the files it loads for as long as it runs. Data comes in as
Arrow through :meth:`Warehouse.load`, or from lake files the server resolved and checked.
Read-only callers may run exactly one ``SELECT`` statement, as DuckDB's own parser tells.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import threading
import uuid
from pathlib import Path

import duckdb
import pyarrow as pa

from lakebox.entities.warehouse import LoadMode
from lakebox.errors import BadRequestError, NotFoundError, ValidationError
from lakebox.lake.files import FileFormat, source_files

DEFAULT_SCHEMA = "dbo"
_IDENTIFIER = r"[A-Za-z_][A-Za-z0-9_]{0,127}"
_TABLE_NAME = re.compile(rf"^(?:\[?(?P<schema>{_IDENTIFIER})\]?\.)?\[?(?P<table>{_IDENTIFIER})\]?$")


def parse_table_name(name: str) -> tuple[str, str]:
    """``dbo.CustomerData``, ``[dbo].[CustomerData]`` or ``CustomerData`` (schema dbo) to (schema, table)."""
    match = _TABLE_NAME.match(name.strip())
    if match is None:
        raise ValidationError(f"{name!r} is not a table name (schema.table, letters, digits and underscores)")
    return (match["schema"] or DEFAULT_SCHEMA), match["table"]


class Warehouse:
    """One DuckDB database file; thread-safe (a cursor per call, writes serialised)."""

    def __init__(self, path: Path) -> None:
        self._staging = path.parent / "staging"
        self._staging.mkdir(parents=True, exist_ok=True)
        self._connection = duckdb.connect(str(path))
        self._connection.execute(f"CREATE SCHEMA IF NOT EXISTS {DEFAULT_SCHEMA}")
        # The one place the engine may read files: links to the files of a copy, made for its duration.
        self._connection.execute("SET allowed_directories = ?", [[f"{self._staging.resolve()}/"]])
        self._connection.execute("SET enable_external_access = false")
        self._connection.execute("SET lock_configuration = true")
        self._write_lock = threading.Lock()

    def query(self, sql: str, *, read_only: bool) -> pa.Table:
        """Run ``sql``; its result as Arrow (empty for statements without one). A read-only caller's
        SQL must be exactly one ``SELECT``."""
        cursor = self._connection.cursor()
        try:
            statement = self._single_select(cursor, sql) if read_only else sql
            with contextlib.nullcontext() if read_only else self._write_lock:
                relation = cursor.sql(statement)
                return relation.to_arrow_table() if relation is not None else pa.table({})
        except duckdb.Error as exc:
            raise BadRequestError(f"SQL error: {first_line(exc)}") from exc
        finally:
            cursor.close()

    @staticmethod
    def _single_select(cursor: duckdb.DuckDBPyConnection, sql: str) -> str:
        statements = cursor.extract_statements(sql)
        if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
            raise BadRequestError("read-only access runs one SELECT statement; this SQL is something else")
        return str(statements[0].query)

    def load(self, name: str, data: pa.Table, mode: LoadMode = "append") -> tuple[int, int]:
        """Load Arrow data into a table in one transaction; returns the rows the table then has and
        the rows loaded.

        ``create`` makes a new table (an error if it exists), ``overwrite`` replaces the table,
        ``append`` adds rows to an existing table (created if missing) by column name.
        """
        return self._write(name, "lakebox_load", mode, data)

    def copy_files(
        self, name: str, files: list[Path], file_format: FileFormat, mode: LoadMode = "append"
    ) -> tuple[int, int]:
        """Load Parquet or CSV (with a header) files with the engine's own readers, as ``load`` does."""
        if not files:
            raise BadRequestError(f"nothing to copy into {name}: no files")
        batch = self._staging / uuid.uuid4().hex
        batch.mkdir()
        try:
            linked = [_link(file, batch / f"{index}.{file_format}") for index, file in enumerate(files)]
            paths = "[" + ", ".join(f"'{path}'" for path in linked) + "]"
            reader = f"read_parquet({paths})" if file_format == "parquet" else f"read_csv({paths}, header = true)"
            return self._write(name, reader, mode)
        finally:
            shutil.rmtree(batch, ignore_errors=True)

    def _write(self, name: str, source: str, mode: LoadMode, data: pa.Table | None = None) -> tuple[int, int]:
        schema, table = parse_table_name(name)
        target = f'"{schema}"."{table}"'
        cursor = self._connection.cursor()
        try:
            with self._write_lock:
                cursor.begin()
                cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
                if data is not None:
                    cursor.register(source, data)
                exists = self._exists(cursor, schema, table)
                if mode == "create" and exists:
                    raise BadRequestError(f"table {schema}.{table} exists; load with mode append or overwrite")
                before = 0
                if mode == "overwrite" or not exists:
                    cursor.execute(f"CREATE OR REPLACE TABLE {target} AS SELECT * FROM {source}")
                else:
                    before = cursor.execute(f"SELECT count(*) FROM {target}").fetchall()[0][0]
                    cursor.execute(f"INSERT INTO {target} BY NAME SELECT * FROM {source}")
                rows = cursor.execute(f"SELECT count(*) FROM {target}").fetchall()[0][0]
                cursor.commit()
        except duckdb.Error as exc:
            raise BadRequestError(f"cannot load into {schema}.{table}: {first_line(exc)}") from exc
        finally:
            cursor.close()
        return int(rows), int(rows) - int(before)

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


def _link(source: Path, target: Path) -> Path:
    """``target`` as a hard link to ``source`` (a copy across file systems)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
    return target.resolve()


def first_line(exc: Exception) -> str:
    """The first line of an engine's error message, which names the problem."""
    return str(exc).strip().splitlines()[0]


def files_to_copy(path: Path, file_format: str | None, root: Path) -> tuple[list[Path], FileFormat]:
    """The files behind a copy source (a file, a folder of files, or one version of a Delta table),
    all inside the datastore folder ``root``: a symbolic link or a Delta log entry pointing
    elsewhere is refused, so a copy never reads the server's other files."""
    files, kind = source_files(path, file_format)
    root = root.resolve()
    for file in files:
        if root not in file.resolve().parents:
            raise ValidationError(f"{file} is outside the datastore; a copy reads only the datastore's own files")
    return files, kind
