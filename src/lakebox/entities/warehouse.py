"""The SQL warehouse's requests and results (query results and loads travel as Arrow IPC streams)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

LoadMode = Literal["append", "overwrite", "create"]  # what a load does to an existing table

ARROW_STREAM = "application/vnd.apache.arrow.stream"


class SqlQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, description="One SQL statement (DuckDB dialect).")


class SqlLoginCreate(BaseModel):
    """A SQL login: a name and password for the warehouse, holding one warehouse role."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,127}$")
    password: str = Field(repr=False)
    role: Literal["Warehouse Data Contributor", "Warehouse Data Reader"] = "Warehouse Data Contributor"


class CopyRequest(BaseModel):
    """``COPY INTO`` from the lake: files the server reads itself, never through the client."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(description="azureml://datastores/... or abfss://...: a file, a folder or a Delta table.")
    format: Literal["parquet", "csv", "delta"] | None = Field(default=None, description="Default: from the source.")
    mode: LoadMode = "append"


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: str = Field(repr=False)


class WarehouseTable(BaseModel):
    schema_name: str = Field(alias="schema")
    name: str
    rows: int
    columns: int

    model_config = ConfigDict(populate_by_name=True)


class LoadResult(BaseModel):
    table: str
    rows: int = Field(description="Rows in the table after the load.")
    loaded: int = Field(description="Rows this load wrote.")


WAREHOUSE_SETTINGS = "warehouse"


class WarehouseSettings(BaseModel):
    """The warehouse's engine: DuckDB in the workspace, or the PostgreSQL server of a connection."""

    model_config = ConfigDict(extra="forbid")

    name: str = WAREHOUSE_SETTINGS
    connection: str | None = Field(default=None, description="A postgresql connection; None: embedded DuckDB.")

    @property
    def engine(self) -> str:
        return "postgresql" if self.connection else "duckdb"
