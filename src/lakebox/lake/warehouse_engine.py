"""Which engine is the workspace's warehouse: the embedded DuckDB file, or a PostgreSQL server
named by a ``postgresql`` workspace connection (``ml_client.warehouse.use_connection``)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import pyarrow as pa

from lakebox.entities.connection import SecretReference
from lakebox.entities.warehouse import WAREHOUSE_SETTINGS, LoadMode, WarehouseSettings
from lakebox.errors import BadRequestError
from lakebox.lake.files import FileFormat
from lakebox.lake.warehouse import Warehouse
from lakebox.store.stores import Stores


class WarehouseEngine(Protocol):
    def query(self, statement: str, *, read_only: bool) -> pa.Table: ...
    def load(self, name: str, data: pa.Table, mode: LoadMode = "append") -> tuple[int, int]: ...
    def copy_files(
        self, name: str, files: list[Path], file_format: FileFormat, mode: LoadMode = "append"
    ) -> tuple[int, int]: ...
    def tables(self) -> list[dict[str, object]]: ...
    def read_table(self, name: str) -> pa.Table: ...
    def close(self) -> None: ...


def settings_of(stores: Stores) -> WarehouseSettings:
    found = [s for s in stores.warehouse_settings.list() if s.name == WAREHOUSE_SETTINGS]
    return found[0] if found else WarehouseSettings()


def open_engine(stores: Stores, duckdb_file: Path) -> WarehouseEngine:
    """The engine the settings name, connected (a PostgreSQL password is read from the vault)."""
    settings = settings_of(stores)
    if settings.connection is None:
        return Warehouse(duckdb_file)
    from lakebox.lake.postgres_warehouse import PostgresWarehouse

    connection = stores.connections.get(settings.connection)
    if connection.type != "postgresql":
        raise BadRequestError(f"connection {connection.name} is a {connection.type} connection, not postgresql")
    credentials = connection.credentials.model_dump()
    password = credentials.get("password")
    if isinstance(password, dict):
        reference = SecretReference.model_validate(password)
        password = stores.vaults.get_secret(reference.vault, reference.name, reference.version).value
    return PostgresWarehouse(connection.target, credentials.get("username"), password)
