"""What users write, as in Azure ML: ``command(...)``, called with new inputs, and its ``.sweep(...)``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ConfigDict, Field

from lakebox.entities.environment import Environment
from lakebox.entities.job import Input, JobSpec, Literal_
from lakebox.entities.search_space import SEARCH_SPACE_TYPES, Distribution
from lakebox.entities.sweep import EarlyTerminationPolicy, SamplingAlgorithm, SweepFields


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


class SweepJob(SweepFields):
    """A sweep job to submit: ``trial`` is the command job each trial runs, with the sampled values as
    its inputs (``${{inputs.x}}`` or ``${{search_space.x}}`` in its command)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    trial: Command
