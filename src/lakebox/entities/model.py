"""Registered models, with Azure ML's fields; the registry behind them is the workspace's MLflow registry."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ModelType = Literal["mlflow_model", "custom_model", "triton_model"]


class Model(BaseModel):
    """A model version. ``path`` is where the files are: a local file or folder (uploaded by the SDK),
    ``azureml://jobs/<job>/outputs/<name>``, ``runs:/<run_id>/<artifact>`` or a datastore URI."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    version: str | None = None
    path: str | None = None
    type: ModelType = "custom_model"
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    properties: dict[str, str] = Field(default_factory=dict)
    # Set by the registry.
    job_name: str | None = None
    run_id: str | None = None
    archived: bool = False
    aliases: list[str] = Field(default_factory=list)
    created_at: datetime | None = None

    @property
    def id(self) -> str:
        return f"azureml:{self.name}:{self.version}"


class ModelCreate(Model):
    """What the SDK sends to register a version: ``upload_id`` names an uploaded folder when ``path`` was local."""

    upload_id: str | None = None
