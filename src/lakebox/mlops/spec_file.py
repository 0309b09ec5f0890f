"""Azure ML CLI v2 schedule YAML (the ``schedule`` schema) to a ``JobSchedule``: ``create_job`` is a
job YAML file (relative to the schedule's file) or an inline job. And a deploy-if-better policy's YAML
(the fields of ``DeployIfBetter``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydantic

from lakebox.entities.rollout import DeployIfBetter
from lakebox.entities.schedule import JobSchedule
from lakebox.errors import ValidationError, problems_of
from lakebox.jobs.spec_file import job_from_document, load_job_file, read_mapping

_FIELDS = {"$schema", "name", "display_name", "description", "tags", "trigger", "create_job", "is_enabled"}


def load_schedule_file(path: Path) -> JobSchedule:
    document = read_mapping(path, "a schedule")
    unknown = sorted(set(document) - _FIELDS)
    if unknown:
        raise ValidationError(f"{path}: unknown field(s) {', '.join(unknown)} for a schedule")
    job = _create_job(document.get("create_job"), path)
    try:
        return JobSchedule.model_validate(
            {k: v for k, v in document.items() if k in _FIELDS - {"$schema"}} | {"create_job": job}
        )
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
