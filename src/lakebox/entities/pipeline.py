"""Synapse/ADF artifacts (pipelines, datasets, triggers) as their JSON is written, and the runs of pipelines."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Artifact(BaseModel):
    """A pipeline, dataset or trigger: ``{"name": ..., "properties": {...}}`` as Synapse and ADF keep it in git."""

    model_config = ConfigDict(extra="allow")

    name: str = Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_ .-]{0,259}$")
    properties: dict[str, Any]


class PipelineRunStatus(StrEnum):
    QUEUED = "Queued"
    IN_PROGRESS = "InProgress"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    CANCELING = "Canceling"
    CANCELLED = "Cancelled"

    @property
    def terminal(self) -> bool:
        return self in (PipelineRunStatus.SUCCEEDED, PipelineRunStatus.FAILED, PipelineRunStatus.CANCELLED)


class ActivityStatus(StrEnum):
    IN_PROGRESS = "InProgress"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    SKIPPED = "Skipped"
    CANCELLED = "Cancelled"


class PipelineRun(BaseModel):
    """One run of a pipeline, as ADF reports it (``runId``, ``status``, ``message``, ``invokedBy``)."""

    run_id: str
    pipeline_name: str
    status: PipelineRunStatus
    parameters: dict[str, Any] = Field(default_factory=dict)
    message: str = ""
    invoked_by: dict[str, str] = Field(default_factory=dict)
    run_group_id: str
    rerun_of: str | None = None
    parent_run_id: str | None = None
    output: dict[str, Any] = Field(default_factory=dict, description="The pipeline's return value.")
    run_start: datetime | None = None
    run_end: datetime | None = None
    duration_ms: int | None = None


class ActivityRun(BaseModel):
    """One attempt of one activity; ``path`` places an activity inside a container
    (``ForEach1[2]/Inner``), empty for a top-level one."""

    run_id: str
    activity_name: str
    activity_type: str
    path: str = ""
    status: ActivityStatus
    attempt: int = 1
    input: Any = None
    output: Any = None
    error: dict[str, Any] | None = None
    run_start: datetime | None = None
    run_end: datetime | None = None
    duration_ms: int | None = None


class PipelineRunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    parameters: dict[str, Any] = Field(default_factory=dict)


class RerunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    from_failure: bool = True
