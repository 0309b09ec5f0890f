"""Data assets (Azure ML's ``Data``): a named, versioned pointer to a file, a folder or a table on the lake."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DataType = Literal["uri_file", "uri_folder", "mltable", "delta_table"]


class AssetTypes:
    """The type names of Azure ML's ``azure.ai.ml.constants.AssetTypes`` (and lakebox's Delta tables)."""

    URI_FILE = "uri_file"
    URI_FOLDER = "uri_folder"
    MLTABLE = "mltable"
    MLFLOW_MODEL = "mlflow_model"
    CUSTOM_MODEL = "custom_model"
    DELTA_TABLE = "delta_table"


class Data(BaseModel):
    """``path`` is a lake URI (``azureml://datastores/...``, ``abfss://...``) or a local path; versions
    count up from 1 when not given, and a version never changes once registered."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$")
    version: str | None = None
    type: DataType = "uri_folder"
    path: str
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    created_at: datetime | None = None

    @property
    def id(self) -> str:
        return f"azureml:{self.name}:{self.version}"
