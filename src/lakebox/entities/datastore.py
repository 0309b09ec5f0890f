"""Datastores: named folders of the lake, with Azure ML's classes.

A datastore is a local folder (by default ``<workspace>/datastores/<name>``). Giving it the
``account_name`` and ``container_name`` (``filesystem`` for ADLS Gen2) of the Azure storage it
stands for makes ``abfss://<container>@<account>.dfs.core.windows.net/<path>`` URIs resolve to it,
so paths in existing code work as written.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

DATASTORE_NAME_PATTERN = r"^[a-z0-9_]{1,255}$"
DEFAULT_DATASTORE = "workspaceblobstore"


class Datastore(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=DATASTORE_NAME_PATTERN, description="Lowercase letters, digits and underscores.")
    type: Literal["local", "azure_blob", "azure_data_lake_gen2"] = "local"
    path: str | None = Field(default=None, description="The folder; by default <workspace>/datastores/<name>.")
    account_name: str | None = None
    container_name: str | None = None
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    # Set by the server.
    local_path: str | None = Field(default=None, description="The resolved folder (read-only).")
    is_default: bool = False

    @model_validator(mode="after")
    def _account_and_container_go_together(self) -> Datastore:
        if (self.account_name is None) != (self.container_name is None):
            raise ValueError("give both account_name and container_name (filesystem), or neither")
        return self


class AzureBlobDatastore(Datastore):
    type: Literal["local", "azure_blob", "azure_data_lake_gen2"] = "azure_blob"


class AzureDataLakeGen2Datastore(Datastore):
    """``filesystem`` is ADLS Gen2's name for the container."""

    type: Literal["local", "azure_blob", "azure_data_lake_gen2"] = "azure_data_lake_gen2"

    @model_validator(mode="before")
    @classmethod
    def _filesystem(cls, data: Any) -> Any:
        if isinstance(data, dict) and "filesystem" in data:
            data = {**data, "container_name": data["filesystem"]}
            del data["filesystem"]
        return data

    @property
    def filesystem(self) -> str | None:
        return self.container_name
