"""Command jobs with Azure ML's shapes: ``command()``, ``Input``, ``Output``, and the job the server reports."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from lakebox.entities.environment import Environment
from lakebox.entities.search_space import Distribution

if TYPE_CHECKING:
    from lakebox.entities.sweep import EarlyTerminationPolicy, SamplingAlgorithm, SweepJob

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


class Command(JobSpec):
    """A command job to submit (what ``command(...)`` returns), as in Azure ML: ``code`` is a local
    folder, ``environment`` an ``Environment`` or a reference to a registered one. An input may be a
    search space distribution (``Choice([...])``), for :meth:`sweep`."""

    code: str | Path | None = None
    environment: Environment | str | None = None
    inputs: dict[str, Input | Literal_ | Distribution] = Field(default_factory=dict)  # type: ignore[assignment]

    def __call__(self, **inputs: Any) -> Command:
        """A copy with these inputs replaced, as calling an Azure ML command does: ``job(lr=Uniform(0.01, 0.1))``."""
        return self.model_copy(update={"inputs": {**self.inputs, **inputs}}, deep=True)

    def sweep(
        self,
        *,
        primary_metric: str,
        goal: str,
        sampling_algorithm: str | SamplingAlgorithm = "random",
        compute: str | None = None,
        max_concurrent_trials: int | None = None,
        max_total_trials: int | None = None,
        timeout: int | None = None,
        trial_timeout: int | None = None,
        early_termination_policy: EarlyTerminationPolicy | None = None,
        search_space: dict[str, Distribution] | None = None,
    ) -> SweepJob:
        """A sweep over this command's distribution inputs (and ``search_space``); the rest of its
        inputs are passed to every trial as they are."""
        from lakebox.entities.search_space import SEARCH_SPACE_TYPES
        from lakebox.entities.sweep import SweepJob

        space = {k: v for k, v in self.inputs.items() if isinstance(v, SEARCH_SPACE_TYPES)} | (search_space or {})
        trial = self.model_copy(update={"inputs": {k: v for k, v in self.inputs.items() if k not in space}})
        job = SweepJob.model_validate(
            {
                "name": self.name,
                "display_name": self.display_name,
                "experiment_name": self.experiment_name,
                "description": self.description,
                "tags": self.tags,
                "compute": compute or self.compute,
                "trial": trial,
                "search_space": space,
                "sampling_algorithm": sampling_algorithm,
                "objective": {"goal": goal, "primary_metric": primary_metric},
                "early_termination": early_termination_policy,
            }
        )
        job.set_limits(
            max_concurrent_trials=max_concurrent_trials,
            max_total_trials=max_total_trials,
            timeout=timeout,
            trial_timeout=trial_timeout,
        )
        return job


def command(**fields: Any) -> Command:
    """Build a command job, as ``azure.ai.ml.command`` does."""
    return Command(**fields)


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
