"""Azure ML CLI v2 schedule YAML (the ``schedule`` schema) to a ``JobSchedule`` (``create_job``: a job
YAML file relative to the schedule's file, or an inline job) or a ``MonitorSchedule``
(``create_monitor``). And a deploy-if-better policy's YAML (the fields of ``DeployIfBetter``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydantic

from lakebox.entities.rollout import DeployIfBetter
from lakebox.entities.schedule import JobSchedule, MonitorSchedule
from lakebox.errors import ValidationError, problems_of
from lakebox.jobs.spec_file import job_from_document, load_job_file, read_mapping

_FIELDS = {"name", "display_name", "description", "tags", "trigger", "is_enabled"}
_ACTIONS = {"create_job", "create_monitor"}


def load_schedule_file(path: Path) -> JobSchedule | MonitorSchedule:
    document = read_mapping(path, "a schedule")
    unknown = sorted(set(document) - _FIELDS - _ACTIONS - {"$schema"})
    if unknown:
        raise ValidationError(f"{path}: unknown field(s) {', '.join(unknown)} for a schedule")
    fields = {k: v for k, v in document.items() if k in _FIELDS}
    try:
        if "create_monitor" in document and "create_job" not in document:
            return MonitorSchedule.model_validate(fields | {"create_monitor": document["create_monitor"]})
        return JobSchedule.model_validate(fields | {"create_job": _create_job(document.get("create_job"), path)})
    except pydantic.ValidationError as exc:
        raise ValidationError(f"{path}: {problems_of(exc)}") from exc


def _create_job(value: Any, path: Path) -> Any:
    if isinstance(value, str) and not value.startswith("azureml:"):
        return load_job_file(path.parent / value)
    if isinstance(value, dict):
        return job_from_document(value, path)
    raise ValidationError(f"{path}: create_job must be a job YAML file or an inline job")


def load_policy_file(path: Path) -> DeployIfBetter:
    try:
        return DeployIfBetter.model_validate(read_mapping(path, "a deploy-if-better policy"))
    except pydantic.ValidationError as exc:
        raise ValidationError(f"{path}: {problems_of(exc)}") from exc
