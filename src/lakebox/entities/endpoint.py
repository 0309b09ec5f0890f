"""Online endpoints and their deployments, with Azure ML's fields (``ManagedOnlineEndpoint``, ...)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lakebox.entities.datastore import DEFAULT_DATASTORE
from lakebox.entities.environment import Environment
from lakebox.entities.model import Model

AuthMode = Literal["key", "aml_token"]
ProvisioningState = Literal["Creating", "Updating", "Succeeded", "Failed", "Deleting"]


class ManagedOnlineEndpoint(BaseModel):
    """An endpoint: a stable scoring URI, its auth, and how its traffic is split between deployments.

    ``traffic=None`` on an update keeps the split the endpoint has; ``{}`` clears it."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    auth_mode: AuthMode = "key"
    traffic: dict[str, int] | None = None
    mirror_traffic: dict[str, int] | None = None
    # Set by the server.
    scoring_uri: str | None = None
    openapi_uri: str | None = None
    provisioning_state: ProvisioningState | None = None
    created_at: datetime | None = None


class CodeConfiguration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str | None = None
    scoring_script: str


class OnlineRequestSettings(BaseModel):
    """Azure ML's request settings. lakebox's defaults differ where batching makes them wrong for it:
    ``max_concurrent_requests_per_instance`` is 1 as in Azure for a ``score.py``, and up to
    ``max_batch_size`` requests share one predict call in a no-code MLflow deployment."""

    model_config = ConfigDict(extra="forbid")

    request_timeout_ms: int = Field(default=5000, ge=1, le=180_000)
    max_concurrent_requests_per_instance: int = Field(default=1, ge=1, le=1000)
    max_queue_wait_ms: int = Field(default=500, ge=0, le=60_000)


class ProbeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    initial_delay: int = 10
    period: int = 10
    timeout: int = 2
    success_threshold: int = 1
    failure_threshold: int = 30


class BatchingSettings(BaseModel):
    """Adaptive micro-batching of a no-code MLflow deployment: requests that arrive while an instance is
    busy share its next predict call; ``max_batch_wait_ms`` more may be spent waiting to fill a batch."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    max_batch_size: int = Field(default=64, ge=1, le=10_000)
    max_batch_wait_ms: float = Field(default=0.0, ge=0, le=1000)


COLLECTIONS = ("model_inputs", "model_outputs")


def collected_data_uri(endpoint: str, deployment: str, collection: str) -> str:
    """The Delta table a deployment's data collector writes ``collection`` to."""
    return f"azureml://datastores/{DEFAULT_DATASTORE}/paths/modelDataCollector/{endpoint}/{deployment}/{collection}"


class DeploymentCollection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True


class DataCollector(BaseModel):
    """Azure ML's data collector: log a sampled share of the requests a deployment answers (``model_inputs``)
    and its answers (``model_outputs``) to Delta tables on the workspace's default datastore, at
    ``modelDataCollector/<endpoint>/<deployment>/<collection>``, joined by ``correlationid``."""

    model_config = ConfigDict(extra="forbid")

    collections: dict[str, DeploymentCollection]
    sampling_rate: float = Field(default=1.0, gt=0, le=1)

    @field_validator("collections")
    @classmethod
    def _known(cls, collections: dict[str, DeploymentCollection]) -> dict[str, DeploymentCollection]:
        unknown = sorted(set(collections) - set(COLLECTIONS))
        if unknown:
            raise ValueError(f"unknown collection(s) {', '.join(unknown)}; lakebox collects {', '.join(COLLECTIONS)}")
        return collections

    def enabled(self, collection: str) -> bool:
        return collection in self.collections and self.collections[collection].enabled


class Deployment(BaseModel):
    """What online and batch deployments share: the model, its scoring code and its environment."""

    model_config = ConfigDict(extra="forbid")

    name: str
    endpoint_name: str
    model: str | Model | None = None
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    code_configuration: CodeConfiguration | None = None
    environment: str | Environment | None = None
    # Set by the server.
    provisioning_state: ProvisioningState | None = None
    code_id: str | None = None
    created_at: datetime | None = None


class ManagedOnlineDeployment(Deployment):
    """A deployment: ``instance_count`` worker processes serving one model version."""

    instance_type: str = "Standard_DS3_v2"
    instance_count: int = Field(default=1, ge=1, le=64)
    environment_variables: dict[str, str] = Field(default_factory=dict)
    request_settings: OnlineRequestSettings = Field(default_factory=OnlineRequestSettings)
    liveness_probe: ProbeSettings = Field(default_factory=ProbeSettings)
    readiness_probe: ProbeSettings = Field(default_factory=ProbeSettings)
    batching: BatchingSettings = Field(default_factory=BatchingSettings)
    compile_model: bool = Field(
        default=True,
        description=(
            "Serve a no-code model compiled when that gives its answers: a scikit-learn tree ensemble as an "
            "exact compiled forest, other scikit-learn, LightGBM and XGBoost models with ONNX Runtime."
        ),
    )
    data_collector: DataCollector | None = None
    # Set by the server.
    predictor: str | None = None
    error: str | None = None


class EndpointAuthKeys(BaseModel):
    primary_key: str
    secondary_key: str


class EndpointAuthToken(BaseModel):
    access_token: str
    expiry_time_utc: float
    refresh_after_time_utc: float
    token_type: str = "Bearer"


class DeploymentLogs(BaseModel):
    text: str
