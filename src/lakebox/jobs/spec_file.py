"""Azure ML CLI v2 job YAML (the ``commandJob``, ``sparkJob`` and ``sweepJob`` schemas) to a ``Command``
or a ``SweepJob``; paths are relative to the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydantic
import yaml

from lakebox.entities import Command, Environment, Input, Output, spark
from lakebox.entities.command import SweepJob
from lakebox.errors import ValidationError, problems_of

_FIELDS = {
    "$schema",
    "type",
    "name",
    "display_name",
    "experiment_name",
    "description",
    "tags",
    "code",
    "command",
    "environment",
    "environment_variables",
    "compute",
    "inputs",
    "outputs",
}
_SPARK_FIELDS = _FIELDS | {"entry", "args", "conf", "resources"}
_SWEEP_FIELDS = (_FIELDS - {"code", "command", "environment", "environment_variables"}) | {
    "trial",
    "search_space",
    "sampling_algorithm",
    "objective",
    "limits",
    "early_termination",
}
_TRIAL_FIELDS = {"code", "command", "environment", "environment_variables"}
_KINDS = {"command": _FIELDS, "spark": _SPARK_FIELDS, "sweep": _SWEEP_FIELDS}


def read_mapping(path: Path, noun: str) -> dict[str, Any]:
    """A YAML file's top-level mapping; anything else is a ``ValidationError`` naming the file."""
    try:
        document = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ValidationError(f"cannot read {path}: {exc}") from exc
    if not isinstance(document, dict):
        raise ValidationError(f"{path} is not {noun}: expected a mapping")
    return document


def load_job_file(path: Path) -> Command | SweepJob:
    return job_from_document(read_mapping(path, "a job"), path)


def job_from_document(document: dict[str, Any], path: Path) -> Command | SweepJob:
    """A job from its YAML mapping (found in ``path``, which relative paths start from)."""
    kind = document.get("type", "command")
    if kind not in _KINDS:
        raise ValidationError(f"{path}: type {kind!r} is not supported; lakebox runs type: {', '.join(_KINDS)}")
    unknown = sorted(set(document) - _KINDS[kind])
    if kind == "sweep" and isinstance(document.get("trial"), dict):
        unknown += [f"trial.{field}" for field in sorted(set(document["trial"]) - _TRIAL_FIELDS)]
    if unknown:
        raise ValidationError(f"{path}: unknown field(s) {', '.join(unknown)} for a {kind} job")
    base = path.parent
    try:
        if kind == "spark":
            return _spark_job(document, base)
        if kind == "sweep":
            return _sweep_job(document, base)
        return _command_job(document, base)
    except pydantic.ValidationError as exc:
        raise ValidationError(f"{path}: {problems_of(exc)}") from exc
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{path}: {exc}") from exc


def _command_job(document: dict[str, Any], base: Path) -> Command:
    return Command(
        name=document.get("name"),
        display_name=document.get("display_name"),
        experiment_name=document.get("experiment_name"),
        description=document.get("description"),
        tags=document.get("tags") or {},
        code=str(base / document["code"]) if document.get("code") else None,
        command=document.get("command", ""),
        environment=environment_from_yaml(document.get("environment"), base),
        environment_variables=document.get("environment_variables") or {},
        compute=document.get("compute"),
        inputs={k: _input(v, base) for k, v in (document.get("inputs") or {}).items()},
        outputs={k: Output(**(v or {})) for k, v in (document.get("outputs") or {}).items()},
    )


def _sweep_job(document: dict[str, Any], base: Path) -> SweepJob:
    """The ``sweepJob`` schema: ``trial`` holds the command; its inputs, outputs and compute sit at the top."""
    trial = dict(document.get("trial") or {}) | {
        k: document[k] for k in ("inputs", "outputs", "compute") if k in document
    }
    sweep = {
        k: v for k, v in document.items() if k in _SWEEP_FIELDS - {"$schema", "type", "inputs", "outputs", "trial"}
    }
    return SweepJob.model_validate(sweep | {"trial": _command_job(trial, base)})


def _spark_job(document: dict[str, Any], base: Path) -> Command:
    """The ``sparkJob`` schema's fields onto :func:`lakebox.entities.spark` (``resources`` is accepted, unused)."""
    return spark(
        code=str(base / document.get("code", ".")),
        entry=document.get("entry") or {},
        args=str(document.get("args") or ""),
        compute=document.get("compute"),
        conf={str(k): str(v) for k, v in (document.get("conf") or {}).items()},
        name=document.get("name"),
        display_name=document.get("display_name"),
        experiment_name=document.get("experiment_name"),
        description=document.get("description"),
        tags=document.get("tags") or {},
        environment=environment_from_yaml(document.get("environment"), base),
        environment_variables=document.get("environment_variables") or {},
        inputs={k: _input(v, base) for k, v in (document.get("inputs") or {}).items()},
        outputs={k: Output(**(v or {})) for k, v in (document.get("outputs") or {}).items()},
    )


def environment_from_yaml(value: Any, base: Path) -> Environment | str | None:
    """A YAML ``environment:``: a reference as it is, or inline (its conda file relative to ``base``)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("conda_file"), str):
        value = {**value, "conda_file": str(base / value["conda_file"])}
    return Environment(**value)


def _input(value: Any, base: Path) -> Input | str | int | float | bool:
    if not isinstance(value, dict):
        return value  # type: ignore[no-any-return]
    path = str(value.get("path", ""))
    if path and "://" not in path and not path.startswith("azureml:") and not Path(path).is_absolute():
        value = {**value, "path": str(base / path)}
    return Input(**value)
