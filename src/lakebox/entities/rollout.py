"""Deploy-if-better: a candidate model replaces an endpoint's production model only if it scores better
on held-out data, and then only through a gradual traffic shift that rolls back on errors or latency."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Each metric, and whether a higher value is better. Computed the same way for both models.
METRICS: dict[str, bool] = {
    "accuracy": True,
    "precision": True,
    "recall": True,
    "f1": True,
    "r2": True,
    "mae": False,
    "mse": False,
    "rmse": False,
}
RolloutStatus = Literal["Evaluating", "Deploying", "Shifting", "Succeeded", "NotBetter", "RolledBack", "Failed"]
FINISHED: frozenset[str] = frozenset({"Succeeded", "NotBetter", "RolledBack", "Failed"})


class DeployIfBetter(BaseModel):
    """The policy. ``candidate`` is a job's output (``azureml://jobs/<job>/outputs/<name>``), an MLflow run's
    model (``runs:/<run>/<path>``), a datastore folder, or a registered version (``azureml:<name>:<version>``);
    ``test_data`` is held-out data (a Delta table, Parquet or CSV) with a ``label_column``: a datastore URI, a
    data asset (``azureml:<name>:<version>``) or a job's output."""

    model_config = ConfigDict(extra="forbid")

    endpoint_name: str
    candidate: str
    test_data: str
    label_column: str = "target"
    metric: str = "accuracy"
    min_improvement: float = Field(default=0.0, ge=0, description="How much better the candidate must score.")
    deployment_name: str | None = Field(
        default=None, description="The candidate's deployment; by default blue or green, whichever is not serving."
    )
    traffic_steps: list[int] = Field(default_factory=lambda: [10, 50, 100])
    step_seconds: float = Field(default=60.0, ge=0, le=86_400, description="How long each step is watched.")
    max_error_rate: float = Field(default=0.05, ge=0, le=1, description="Of the candidate's answers in a step.")
    max_latency_ms: float | None = Field(default=None, gt=0, description="The candidate's p95 latency in a step.")
    min_requests: int = Field(
        default=0, ge=0, description="Requests the candidate must answer in each step for it to be judged at all."
    )

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, metric: str) -> str:
        if metric not in METRICS:
            raise ValueError(f"unknown metric {metric!r}; use one of {', '.join(METRICS)}")
        return metric

    @field_validator("traffic_steps")
    @classmethod
    def _rising_to_100(cls, steps: list[int]) -> list[int]:
        if not steps or steps[-1] != 100 or any(not 0 < s <= 100 for s in steps) or steps != sorted(set(steps)):
            raise ValueError(f"traffic steps must rise from above 0 to 100, e.g. [10, 50, 100]; got {steps}")
        return steps


class RolloutStep(BaseModel):
    """One traffic step as watched: the candidate's share and how it answered."""

    traffic: int
    started_at: datetime
    ended_at: datetime | None = None
    requests: int = 0
    errors: int = 0
    error_rate: float = 0.0
    p95_ms: float | None = None
    passed: bool | None = None


class Rollout(DeployIfBetter):
    """A decision and what came of it, with its figures."""

    name: str
    status: RolloutStatus = "Evaluating"
    reason: str | None = None
    created_by: str
    created_at: datetime
    finished_at: datetime | None = None
    production_deployment: str | None = None
    production_model: str | None = None
    production_score: float | None = None
    candidate_score: float | None = None
    improvement: float | None = None
    test_rows: int | None = None
    candidate_model: str | None = Field(default=None, description="The registered version, once registered.")
    steps: list[RolloutStep] = Field(default_factory=list)
