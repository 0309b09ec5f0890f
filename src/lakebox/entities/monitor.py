"""Model monitoring with Azure ML's shapes: a ``MonitorSchedule`` whose ``create_monitor`` watches an online
deployment's collected inputs for data drift against its training data.

lakebox computes the signals in the workspace server (``compute`` is accepted and recorded). A signal
whose thresholds are breached can fire a retraining job schedule at once (``retraining_schedule``).
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lakebox.entities.job import Input

_STRICT = ConfigDict(extra="forbid")


class NumericalDriftMetrics(BaseModel):
    """Thresholds for numerical features; a feature drifts when any set one is exceeded (for the KS test: when
    its p-value falls below the figure)."""

    model_config = _STRICT

    population_stability_index: float | None = Field(default=0.2, gt=0)
    jensen_shannon_distance: float | None = Field(default=0.1, gt=0, le=1)
    two_sample_kolmogorov_smirnov_test: float | None = Field(default=None, gt=0, lt=1)


class CategoricalDriftMetrics(BaseModel):
    """Thresholds for categorical features (for Pearson's chi-squared test: a p-value below the figure)."""

    model_config = _STRICT

    population_stability_index: float | None = Field(default=0.2, gt=0)
    jensen_shannon_distance: float | None = Field(default=0.1, gt=0, le=1)
    pearsons_chi_squared_test: float | None = Field(default=None, gt=0, lt=1)


class DataDriftMetricThreshold(BaseModel):
    model_config = _STRICT

    numerical: NumericalDriftMetrics = Field(default_factory=NumericalDriftMetrics)
    categorical: CategoricalDriftMetrics = Field(default_factory=CategoricalDriftMetrics)


class ReferenceData(BaseModel):
    """The data the model learned from: a Delta table, Parquet or CSV (a datastore URI, a data asset or a job's
    output). ``data_column_names`` may name its ``target_column``, which is left out of the comparison."""

    model_config = _STRICT

    input_data: Input
    data_context: str | None = None
    data_column_names: dict[str, str] = Field(default_factory=dict)


class DataDriftSignal(BaseModel):
    """Drift of each feature of the deployment's collected ``model_inputs`` over the last ``lookback_window``
    against the reference data. With fewer than ``min_production_rows`` collected, nothing is judged."""

    model_config = _STRICT

    type: str = "data_drift"
    reference_data: ReferenceData
    features: list[str] | None = None
    metric_thresholds: DataDriftMetricThreshold = Field(default_factory=DataDriftMetricThreshold)
    lookback_window: timedelta = Field(default=timedelta(days=7), description="ISO 8601, e.g. P7D.")
    min_production_rows: int = Field(default=30, ge=1)

    @field_validator("type")
    @classmethod
    def _data_drift_only(cls, kind: str) -> str:
        if kind != "data_drift":
            raise ValueError(f"lakebox computes data_drift signals; {kind!r} is not supported")
        return kind


class MonitoringTarget(BaseModel):
    model_config = _STRICT

    endpoint_deployment_id: str = Field(description="azureml:<endpoint>:<deployment>")
    ml_task: str | None = None

    @property
    def endpoint_and_deployment(self) -> tuple[str, str]:
        return _endpoint_and_deployment(self.endpoint_deployment_id)

    @field_validator("endpoint_deployment_id")
    @classmethod
    def _two_parts(cls, value: str) -> str:
        _endpoint_and_deployment(value)
        return value


def _endpoint_and_deployment(reference: str) -> tuple[str, str]:
    parts = reference.removeprefix("azureml:").split(":")
    if len(parts) != 2 or not all(parts):
        raise ValueError(f"endpoint_deployment_id must be azureml:<endpoint>:<deployment>; got {reference!r}")
    return parts[0], parts[1]


class MonitorDefinition(BaseModel):
    model_config = _STRICT

    monitoring_target: MonitoringTarget
    monitoring_signals: dict[str, DataDriftSignal] = Field(min_length=1)
    compute: str | dict[str, object] | None = None
    retraining_schedule: str | None = Field(
        default=None, description="A job schedule fired at once when any signal is breached."
    )
