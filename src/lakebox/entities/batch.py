"""Batch endpoints and their deployments, with Azure ML's fields (``BatchEndpoint``, ``ModelBatchDeployment``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from lakebox.entities.endpoint import Deployment, ProvisioningState

OutputAction = Literal["append_row", "summary_only"]
OutputFormat = Literal["csv", "parquet", "delta"]


class BatchEndpoint(BaseModel):
    """A stable name that scoring jobs are invoked on; ``defaults.deployment_name`` takes the invocations
    that name no deployment (the first deployment becomes the default)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    defaults: dict[str, str] = Field(default_factory=dict)
    # Set by the server.
    scoring_uri: str | None = None
    provisioning_state: ProvisioningState | None = None
    created_at: datetime | None = None

    @property
    def default_deployment(self) -> str | None:
        return self.defaults.get("deployment_name")


class BatchRetrySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_retries: int = Field(default=3, ge=0, le=100)
    timeout: int = Field(default=30, ge=1, le=86_400, description="Seconds one mini-batch may take.")


class BatchDeploymentSettings(BaseModel):
    """How an invocation is scored; Azure ML's defaults. ``output_format`` is lakebox's: it follows
    ``output_file_name`` (``.csv`` or ``.parquet``) unless set, and ``delta`` writes a Delta table."""

    model_config = ConfigDict(extra="forbid")

    instance_count: int = Field(default=1, ge=1, le=64)
    max_concurrency_per_instance: int = Field(default=1, ge=1, le=64)
    mini_batch_size: int = Field(default=10, ge=1, le=100_000)
    output_action: OutputAction = "append_row"
    output_file_name: str = Field(default="predictions.csv", pattern=r"^[A-Za-z0-9_.-]+$")
    output_format: OutputFormat | None = None
    error_threshold: int = Field(default=-1, ge=-1)
    retry_settings: BatchRetrySettings = Field(default_factory=BatchRetrySettings)
    logging_level: Literal["debug", "info", "warning", "error", "critical"] = "info"
    environment_variables: dict[str, str] = Field(default_factory=dict)

    @property
    def resolved_format(self) -> OutputFormat:
        if self.output_format is not None:
            return self.output_format
        return "parquet" if self.output_file_name.lower().endswith(".parquet") else "csv"


_SETTING_NAMES = set(BatchDeploymentSettings.model_fields)


class BatchDeployment(Deployment):
    """A model (no-code MLflow, or with a batch ``score.py``) and how its invocations are scored.

    The scoring settings may be given flat (``BatchDeployment``) or as ``settings=`` (Azure ML's
    ``ModelBatchDeployment``); they are kept as ``settings``."""

    compute: str | None = None
    settings: BatchDeploymentSettings = Field(default_factory=BatchDeploymentSettings)

    @model_validator(mode="before")
    @classmethod
    def _flat_settings(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        flat = {key: data[key] for key in _SETTING_NAMES if key in data}
        if not flat:
            return data
        rest = {key: value for key, value in data.items() if key not in flat}
        settings = data.get("settings")
        base = settings.model_dump() if isinstance(settings, BaseModel) else dict(settings or {})
        return rest | {"settings": base | flat}


ModelBatchDeployment = BatchDeployment
ModelBatchDeploymentSettings = BatchDeploymentSettings


class BatchInvocation(BaseModel):
    """What ``invoke`` sends: the input (a file, a folder of CSV/Parquet files, a Delta table, or a
    warehouse table as ``warehouse:dbo.Table``), where the output goes, and overrides of the settings."""

    model_config = ConfigDict(extra="forbid")

    deployment_name: str | None = None
    input: dict[str, Any]
    output_path: str | None = None
    overrides: dict[str, Any] = Field(default_factory=dict)
    experiment_name: str | None = None
