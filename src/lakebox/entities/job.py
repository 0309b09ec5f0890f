"""Jobs with Azure ML's shapes: ``Input``, ``Output``, the job as sent, and the job the server reports."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from lakebox.entities.environment import Environment

InputType = Literal["uri_file", "uri_folder", "mlflow_model", "custom_model", "delta_table"]
OutputType = Literal["uri_file", "uri_folder", "mlflow_model", "custom_model"]
Literal_ = str | int | float | bool


class Input(BaseModel):
    """A data input: a local path, ``azureml://datastores/<store>/paths/<path>`` or ``azureml://jobs/<job>/outputs/<name>``."""

    model_config = ConfigDict(extra="forbid")

    type: InputType = "uri_folder"
    path: str
    mode: Literal["ro_mount", "download"] = "ro_mount"


class Output(BaseModel):
    """An output the job writes; lakebox allocates it on the default datastore unless ``path`` is given."""

    model_config = ConfigDict(extra="forbid")

    type: OutputType = "uri_folder"
    path: str | None = None


class JobStatus(StrEnum):
    NOT_STARTED = "NotStarted"
    QUEUED = "Queued"
    PREPARING = "Preparing"
    RUNNING = "Running"
    FINALIZING = "Finalizing"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CANCELED = "Canceled"

    @property
    def terminal(self) -> bool:
        return self in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELED)


class JobSpec(BaseModel):
    """The fields a command job has both as written (``Command``) and as sent (``JobCreate``)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$")
    command: str = Field(min_length=1)
    compute: str | None = None
    inputs: dict[str, Input | Literal_] = Field(default_factory=dict)
    outputs: dict[str, Output] = Field(default_factory=dict)
    environment_variables: dict[str, str] = Field(default_factory=dict)
    display_name: str | None = None
    experiment_name: str | None = None
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)


class JobCreate(JobSpec):
    """What the client sends: the command job with its code uploaded and its environment resolved."""

    type: Literal["command"] = "command"
    code_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    environment: Environment | None = None


class JobOutput(BaseModel):
    type: OutputType
    path: str = Field(description="azureml:// URI of the output.")
    local_path: str


class Job(BaseModel):
    """A submitted job as the server reports it."""

    name: str
    type: Literal["command", "sweep"] = "command"
    display_name: str | None
    experiment_name: str
    status: JobStatus
    parent_job_name: str | None = Field(default=None, description="The sweep job a trial belongs to.")
    command: str = Field(description="The command as run, with inputs and outputs substituted.")
    compute: str
    environment: str
    created_at: datetime
    started_at: datetime | None = None
    ended_at: datetime | None = None
    error: str | None = None
    outputs: dict[str, JobOutput] = Field(default_factory=dict)
    mlflow_run_id: str | None = None
    mlflow_experiment_id: str | None = None
    metrics: dict[str, float] = Field(default_factory=dict)
    params: dict[str, str] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)
    description: str | None = None
    properties: dict[str, str] = Field(
        default_factory=dict, description="What the service adds: a sweep's ``best_child_run_id``, for one."
    )


class JobLogs(BaseModel):
    data: str
    next_offset: int
    status: JobStatus
