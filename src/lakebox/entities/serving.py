"""What the control plane tells the gateway to serve: endpoints, their keys (hashed) and routes,
and for each deployment how to start its workers. The gateway keeps the last state it was given
in a private file and serves it again after a restart."""

from __future__ import annotations

import statistics
from typing import Literal

from pydantic import BaseModel, Field

from lakebox.entities.endpoint import AuthMode, BatchingSettings, OnlineRequestSettings, ProbeSettings

WorkerMode = Literal["script", "mlflow"]


class Collection(BaseModel):
    """Where and how much of a deployment's traffic the gateway logs (its data collector)."""

    folder: str  # holds the model_inputs and model_outputs Delta tables
    inputs: bool
    outputs: bool
    sampling_rate: float


class WorkerSpec(BaseModel):
    """One generation of a deployment's workers; a new ``generation`` means start new workers, then drain the old."""

    generation: str
    grant_id: str | None = None  # the managed identity grant its workers hold
    mode: WorkerMode
    python: str
    workdir: str
    model_dir: str | None = None
    scoring_script: str | None = None
    instance_count: int = 1
    cores: int = 1
    environment: dict[str, str] = Field(default_factory=dict)
    request_settings: OnlineRequestSettings = Field(default_factory=OnlineRequestSettings)
    batching: BatchingSettings = Field(default_factory=BatchingSettings)
    compile_model: bool = True
    cache_dir: str | None = None  # where workers keep compiled kernels (the workspace's compiled-models/)
    liveness: ProbeSettings = Field(default_factory=ProbeSettings)
    readiness_timeout_s: float = 300.0
    log_dir: str
    collection: Collection | None = None


class EndpointRoute(BaseModel):
    name: str
    auth_mode: AuthMode = "key"
    key_hashes: list[str] = Field(default_factory=list)
    traffic: dict[str, int] = Field(default_factory=dict)
    mirror_traffic: dict[str, int] = Field(default_factory=dict)
    deployments: dict[str, WorkerSpec] = Field(default_factory=dict)


class ServingState(BaseModel):
    workspace_id: str
    token_key: str  # hex; signs aml_token tokens
    endpoints: dict[str, EndpointRoute] = Field(default_factory=dict)


class WorkerStatus(BaseModel):
    pid: int | None
    state: Literal["starting", "ready", "failed", "stopped"]
    restarts: int = 0
    predictor: str | None = None


class DeploymentStatus(BaseModel):
    generation: str
    state: Literal["starting", "ready", "failed"]
    error: str | None = None
    workers: list[WorkerStatus] = Field(default_factory=list)


ERROR_STATUSES = frozenset({408, 429}) | frozenset(range(500, 600))


class WindowStats(BaseModel):
    """A deployment's answers over a recent window: how many, how many failed (timeouts, overload and
    5xx; a client's bad input is not the deployment's error), and latency percentiles."""

    requests: int
    errors: int
    error_rate: float
    p50_ms: float | None = None
    p95_ms: float | None = None

    @classmethod
    def of(cls, statuses: list[int], seconds: list[float]) -> WindowStats:
        errors = sum(status in ERROR_STATUSES for status in statuses)
        if len(seconds) < 2:
            p50 = p95 = seconds[0] * 1000 if seconds else None
        else:
            cuts = statistics.quantiles(seconds, n=20, method="inclusive")
            p50, p95 = cuts[9] * 1000, cuts[18] * 1000
        return cls(
            requests=len(statuses),
            errors=errors,
            error_rate=errors / len(statuses) if statuses else 0.0,
            p50_ms=p50,
            p95_ms=p95,
        )
