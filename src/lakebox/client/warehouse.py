"""``ml_client.warehouse``: SQL on the workspace's warehouse, and loading data into its tables.

:meth:`WarehouseOperations.connect` gives the same operations to a SQL login (name and password)
instead of an identity, as the ``synapsesql`` Spark data source uses them.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from lakebox.client._http import ApiClient
from lakebox.entities.warehouse import (
    ARROW_STREAM,
    CopyRequest,
    LoadMode,
    LoadResult,
    SqlLoginCreate,
    WarehouseSettings,
    WarehouseTable,
)
from lakebox.lake.uris import is_lake_uri

if TYPE_CHECKING:
    import pyarrow as pa

# pyarrow and pandas (0.4 s to import) are loaded by the methods that move data, not by every client.


class WarehouseOperations:
    def __init__(self, api: ApiClient) -> None:
        self._api = api

    @classmethod
    def connect(
        cls, endpoint: str, user: str, password: str, *, verify: ssl.SSLContext | bool = True
    ) -> WarehouseOperations:
        """Operations as the SQL login ``user`` on the server at ``endpoint``."""
        return cls(ApiClient(endpoint, None, "", verify=verify, login=(user, password)))

    def query(self, sql: str) -> pa.Table:
        """Run one SQL statement; its result as Arrow (``.to_pandas()`` for a DataFrame)."""
        from lakebox.lake.arrow import from_ipc

        return from_ipc(self._api.request("POST", "/api/v1/warehouse/query", json={"query": sql}))

    def read_table(self, table: str) -> pa.Table:
        """Every row of ``schema.table``."""
        from lakebox.lake.arrow import from_ipc

        return from_ipc(self._api.request("GET", f"/api/v1/warehouse/tables/{quote(table)}"))

    def tables(self) -> list[WarehouseTable]:
        return [WarehouseTable.model_validate(t) for t in self._api.request("GET", "/api/v1/warehouse/tables")]

    def load(self, table: str, data: Any, *, mode: LoadMode = "append") -> LoadResult:
        """Load rows into ``schema.table``: Arrow, a pandas DataFrame, a local CSV/Parquet file or Delta
        table (sent to the server), or a lake URI (read by the server itself, see :meth:`copy_into`)."""
        if isinstance(data, str) and is_lake_uri(data):
            return self.copy_into(table, data, mode=mode)
        from lakebox.lake.arrow import to_ipc

        response = self._api.request(
            "PUT",
            f"/api/v1/warehouse/tables/{quote(table)}",
            params={"mode": mode},
            content=to_ipc(_as_arrow(data)),
            content_type=ARROW_STREAM,
        )
        return LoadResult.model_validate(response)

    def copy_into(
        self, table: str, source: str, *, file_format: str | None = None, mode: LoadMode = "append"
    ) -> LoadResult:
        """Load the Parquet/CSV files or Delta table at a lake URI into ``schema.table``, as Synapse's
        ``COPY INTO`` does: the server reads the files (needs Storage Blob Data Reader on the datastore)."""
        body = CopyRequest.model_validate({"source": source, "format": file_format, "mode": mode})
        response = self._api.request("POST", f"/api/v1/warehouse/tables/{quote(table)}/copy", json=body.model_dump())
        return LoadResult.model_validate(response)

    def use_connection(self, connection: str | None) -> WarehouseSettings:
        """Make the PostgreSQL server of a ``postgresql`` connection the warehouse (None: embedded DuckDB).
        Tables are not moved between engines."""
        body = WarehouseSettings(connection=connection).model_dump()
        return WarehouseSettings.model_validate(self._api.request("PUT", "/api/v1/warehouse/settings", json=body))

    def settings(self) -> WarehouseSettings:
        return WarehouseSettings.model_validate(self._api.request("GET", "/api/v1/warehouse/settings"))

    def create_login(self, name: str, password: str, role: str = "Warehouse Data Contributor") -> dict[str, str]:
        """A SQL login (name and password) holding ``role`` on the warehouse."""
        body = SqlLoginCreate.model_validate({"name": name, "password": password, "role": role})
        return dict(self._api.request("POST", "/api/v1/warehouse/logins", json=body.model_dump()))

    def change_password(self, name: str, password: str) -> None:
        self._api.request("PUT", f"/api/v1/warehouse/logins/{quote(name)}/password", json={"password": password})

    def close(self) -> None:
        self._api.close()

    def __enter__(self) -> WarehouseOperations:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _as_arrow(data: Any) -> pa.Table:
    from lakebox.lake.arrow import as_arrow_table
    from lakebox.lake.files import read_files, source_files

    if isinstance(data, str | Path):
        return read_files(*source_files(Path(data)))
    return as_arrow_table(data)
