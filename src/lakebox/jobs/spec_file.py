"""Azure ML CLI v2 job YAML (the ``commandJob`` and ``sparkJob`` schemas) to a ``Command``; paths are
relative to the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydantic
import yaml

from lakebox.entities import Command, Environment, Input, Output, spark
from lakebox.errors import ValidationError

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


def load_job_file(path: Path) -> Command:
    try:
        document = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ValidationError(f"cannot read {path}: {exc}") from exc
    if not isinstance(document, dict):
        raise ValidationError(f"{path} is not a job: expected a mapping")
    kind = document.get("type", "command")
    if kind not in ("command", "spark"):
        raise ValidationError(f"{path}: type {kind!r} is not supported; lakebox runs type: command and type: spark")
    unknown = sorted(set(document) - (_SPARK_FIELDS if kind == "spark" else _FIELDS))
    if unknown:
        raise ValidationError(f"{path}: unknown field(s) {', '.join(unknown)} for a {kind} job")
    base = path.parent
    try:
        if kind == "spark":
            return _spark_job(document, base)
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
    except (pydantic.ValidationError, TypeError, ValueError) as exc:
        raise ValidationError(f"{path}: {exc}") from exc


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
