"""Running a model monitor: the deployment's collected inputs over each signal's lookback window against its
reference data, feature by feature (:mod:`lakebox.mlops.drift`).

Collected requests are read back into rows whatever scoring contract they used: ``{"data": [[...]]}`` (a
``score.py`` such as the seed's, columns in the reference's order), ``{"input_data": {"columns": [...],
"data": [...]}}`` (Azure ML's MLflow contract), ``dataframe_split``, ``dataframe_records``, ``inputs`` or
``instances``. Requests that cannot be read are counted, not guessed at.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from lakebox.entities.endpoint import collected_data_uri
from lakebox.entities.monitor import DataDriftSignal, MonitorDefinition
from lakebox.errors import BadRequestError, ValidationError
from lakebox.jobs.io import resolve_workspace_data
from lakebox.lake import delta
from lakebox.lake.files import read_files, source_files
from lakebox.lake.uris import LakeResolver
from lakebox.mlops.drift import data_drift
from lakebox.store.stores import Stores

_PAYLOAD_KEYS = ("input_data", "dataframe_split", "dataframe_records", "data", "inputs", "instances")


class MonitorRunner:
    def __init__(self, stores: Stores, lake: Callable[[], LakeResolver]) -> None:
        self._stores, self._lake = stores, lake

    def check(self, definition: MonitorDefinition) -> None:
        """Refuse a monitor that could never run: an unknown deployment or retraining schedule, or no reference data."""
        endpoint, deployment = definition.monitoring_target.endpoint_and_deployment
        self._stores.endpoints.deployment(endpoint, deployment)
        for name, signal in definition.monitoring_signals.items():
            self._reference_path(name, signal)
        if definition.retraining_schedule is not None:
            schedule = self._stores.schedules.schedules.get(definition.retraining_schedule)
            if schedule.create_job is None:
                raise BadRequestError(f"retraining schedule {schedule.name} runs no job")

    def run(self, definition: MonitorDefinition, now: datetime) -> dict[str, Any]:
        """Every signal's figures, and ``breached``: the signals whose thresholds were exceeded."""
        endpoint, deployment = definition.monitoring_target.endpoint_and_deployment
        inputs = self._collected_inputs(endpoint, deployment)
        signals = {name: self._signal(name, s, inputs, now) for name, s in definition.monitoring_signals.items()}
        return {"signals": signals, "breached": [name for name, result in signals.items() if result.get("drifted")]}

    def _signal(self, name: str, signal: DataDriftSignal, inputs: pd.DataFrame, now: datetime) -> dict[str, Any]:
        reference = read_files(*source_files(self._reference_path(name, signal))).to_pandas()
        target = signal.reference_data.data_column_names.get("target_column")
        reference = reference.drop(columns=[target] if target else [], errors="ignore")
        recent = inputs[inputs["time"] >= pd.Timestamp(now - signal.lookback_window)]
        production, unread = payload_frame(recent["data"], list(reference.columns))
        result: dict[str, Any] = {"production_rows": len(production), "unreadable_requests": unread}
        if len(production) < signal.min_production_rows:
            return result | {
                "judged": False,
                "reason": f"{len(production)} rows collected in the last {signal.lookback_window}, "
                f"fewer than the {signal.min_production_rows} needed",
            }
        for column in reference.columns:
            if column in production and pd.api.types.is_numeric_dtype(reference[column]):
                production[column] = pd.to_numeric(production[column], errors="coerce")
        try:
            report = data_drift(reference, production, signal.metric_thresholds, signal.features)
        except ValueError as exc:  # a feature the data does not have
            raise ValidationError(f"signal {name}: {exc}") from exc
        return result | {
            "judged": True,
            "reference_rows": report.reference_rows,
            "drifted": report.drifted,
            "features": [feature.model_dump() for feature in report.features],
        }

    def _reference_path(self, name: str, signal: DataDriftSignal) -> Path:
        path = signal.reference_data.input_data.path
        return resolve_workspace_data(self._lake(), self._stores, f"signal {name}'s reference data", path)

    def _collected_inputs(self, endpoint: str, deployment: str) -> pd.DataFrame:
        table = self._lake().local_path(collected_data_uri(endpoint, deployment, "model_inputs"))
        if not delta.is_delta_table(table):
            raise ValidationError(
                f"deployment {deployment} of {endpoint} has collected no model_inputs yet "
                "(give it a data_collector with model_inputs enabled)"
            )
        frame = delta.read_table(table, columns=["time", "status", "data"]).to_pandas()
        return frame[frame["status"] == 200]


def payload_frame(payloads: pd.Series, columns: list[str]) -> tuple[pd.DataFrame, int]:
    """The rows of collected request bodies, and how many bodies could not be read."""
    rows: list[dict[str, Any]] = []
    unread = 0
    for payload in payloads:
        found = payload_rows(payload, columns)
        if found is None:
            unread += 1
        else:
            rows.extend(found)
    return pd.DataFrame(rows, columns=columns), unread


def payload_rows(payload: str, columns: list[str]) -> list[dict[str, Any]] | None:
    """The rows of one request body as column -> value, or None when its shape is not a known contract."""
    try:
        body = json.loads(payload)
    except ValueError:
        return None
    if isinstance(body, dict):
        key = next((k for k in _PAYLOAD_KEYS if k in body), None)
        body = body[key] if key is not None else body
    if isinstance(body, dict) and isinstance(body.get("data"), list) and isinstance(body.get("columns"), list):
        return [dict(zip(body["columns"], row, strict=False)) for row in body["data"] if isinstance(row, list)]
    if isinstance(body, dict) and body and all(isinstance(v, list) for v in body.values()):
        return pd.DataFrame(body).to_dict("records")  # type: ignore[no-any-return]
    if isinstance(body, list) and body and all(isinstance(row, dict) for row in body):
        return body
    if isinstance(body, list) and body and not isinstance(body[0], list | dict):
        body = [body]
    if isinstance(body, list) and body and all(isinstance(r, list) and len(r) == len(columns) for r in body):
        return [dict(zip(columns, row, strict=True)) for row in body]
    return None
