"""Sweep jobs (hyperparameter tuning) with Azure ML's shapes: sampling, objective, limits, early
termination policies, and the sweep job as sent (``command(...).sweep()`` in
:mod:`lakebox.entities.command` builds the sweep job as written)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.dataclasses import dataclass

from lakebox.entities.job import JobCreate
from lakebox.entities.search_space import Choice, Distribution

_STRICT = ConfigDict(extra="forbid")


@dataclass(config=_STRICT)
class RandomSamplingAlgorithm:
    """Independent random draws; the same ``seed`` gives the same trials."""

    seed: int | None = None
    rule: Literal["random"] = "random"
    type: Literal["random"] = "random"


@dataclass(config=_STRICT)
class GridSamplingAlgorithm:
    """Every combination of the (all ``Choice``) search space, in order."""

    type: Literal["grid"] = "grid"


SamplingAlgorithm = Annotated[RandomSamplingAlgorithm | GridSamplingAlgorithm, Field(discriminator="type")]


@dataclass(config=_STRICT, kw_only=True)
class BanditPolicy:
    """Stop a trial whose primary metric falls outside a slack of the best trial's at the same interval."""

    delay_evaluation: int = Field(default=0, ge=0)
    evaluation_interval: int = Field(default=0, ge=0)
    slack_amount: float = Field(default=0, ge=0)
    slack_factor: float = Field(default=0, ge=0)
    type: Literal["bandit"] = "bandit"

    @model_validator(mode="after")
    def _one_slack(self) -> BanditPolicy:
        if (self.slack_amount > 0) == (self.slack_factor > 0):
            raise ValueError("a bandit policy needs exactly one of slack_factor and slack_amount")
        return self


@dataclass(config=_STRICT, kw_only=True)
class MedianStoppingPolicy:
    """Stop a trial whose best primary metric is worse than the median of all trials' running averages."""

    delay_evaluation: int = Field(default=0, ge=0)
    evaluation_interval: int = Field(default=1, ge=0)
    type: Literal["median_stopping"] = "median_stopping"


@dataclass(config=_STRICT, kw_only=True)
class TruncationSelectionPolicy:
    """At each evaluation, stop the trials in the lowest ``truncation_percentage`` percent."""

    delay_evaluation: int = Field(default=0, ge=0)
    evaluation_interval: int = Field(default=0, ge=0)
    truncation_percentage: int = Field(ge=1, le=99)
    type: Literal["truncation_selection"] = "truncation_selection"


EarlyTerminationPolicy = Annotated[
    BanditPolicy | MedianStoppingPolicy | TruncationSelectionPolicy, Field(discriminator="type")
]


class Objective(BaseModel):
    """The metric the trials log with MLflow, and whether higher or lower is better."""

    model_config = _STRICT

    goal: Literal["maximize", "minimize"]
    primary_metric: str = Field(min_length=1)

    @field_validator("goal", mode="before")
    @classmethod
    def _lowercase(cls, goal: Any) -> Any:
        return goal.lower() if isinstance(goal, str) else goal


class SweepJobLimits(BaseModel):
    """Azure ML's defaults: 1000 trials, all of them at once if compute allows, 7 days in all."""

    model_config = _STRICT

    max_total_trials: int = Field(default=1000, ge=1)
    max_concurrent_trials: int | None = Field(default=None, ge=1)
    timeout: int = Field(default=7 * 24 * 3600, ge=1, description="Seconds for the whole sweep.")
    trial_timeout: int | None = Field(default=None, ge=1, description="Seconds for each trial.")

    @property
    def concurrency(self) -> int:
        return self.max_concurrent_trials or self.max_total_trials


class SweepFields(BaseModel):
    """What a sweep job is, apart from its trial: as written (``SweepJob``) and as sent (``SweepJobCreate``)."""

    model_config = _STRICT

    name: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,200}$")
    display_name: str | None = None
    experiment_name: str | None = None
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    compute: str | None = None
    search_space: dict[str, Distribution]
    sampling_algorithm: SamplingAlgorithm = Field(default_factory=RandomSamplingAlgorithm)
    objective: Objective
    limits: SweepJobLimits = Field(default_factory=SweepJobLimits)
    early_termination: EarlyTerminationPolicy | None = None

    @field_validator("sampling_algorithm", mode="before")
    @classmethod
    def _named_sampling(cls, value: Any) -> Any:
        """``"random"`` and ``"grid"`` as Azure takes them; ``"bayesian"`` named as unsupported."""
        if isinstance(value, str):
            if value.lower() == "bayesian":
                raise ValueError("bayesian sampling is not supported by lakebox; use random or grid")
            return {"type": value.lower()}
        return value

    @field_validator("search_space")
    @classmethod
    def _not_empty(cls, space: dict[str, Any]) -> dict[str, Any]:
        if not space:
            raise ValueError("the search space is empty: give at least one hyperparameter")
        return space

    @model_validator(mode="after")
    def _grid_takes_choices(self) -> SweepFields:
        if isinstance(self.sampling_algorithm, GridSamplingAlgorithm):
            others = sorted(name for name, d in self.search_space.items() if not isinstance(d, Choice))
            if others:
                raise ValueError(f"grid sampling takes only choice() hyperparameters; not {', '.join(others)}")
        return self

    def set_limits(
        self,
        *,
        max_concurrent_trials: int | None = None,
        max_total_trials: int | None = None,
        timeout: int | None = None,
        trial_timeout: int | None = None,
    ) -> None:
        """Change the limits given (others keep their value), as ``SweepJob.set_limits`` does."""
        given = {
            "max_concurrent_trials": max_concurrent_trials,
            "max_total_trials": max_total_trials,
            "timeout": timeout,
            "trial_timeout": trial_timeout,
        }
        self.limits = SweepJobLimits(**self.limits.model_dump() | {k: v for k, v in given.items() if v is not None})


class SweepJobCreate(SweepFields):
    """What the client sends: the sweep with its trial's code uploaded and environment resolved."""

    type: Literal["sweep"] = "sweep"
    trial: JobCreate
