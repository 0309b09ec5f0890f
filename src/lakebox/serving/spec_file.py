"""Azure ML CLI v2 YAML for online and batch endpoints and their deployments; paths are relative to the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import pydantic

from lakebox.entities.batch import BatchDeployment, BatchEndpoint
from lakebox.entities.endpoint import CodeConfiguration, ManagedOnlineDeployment, ManagedOnlineEndpoint
from lakebox.entities.model import Model
from lakebox.errors import ValidationError
from lakebox.jobs.spec_file import environment_from_yaml, read_mapping

T = TypeVar("T", bound=pydantic.BaseModel)
_IGNORED = {"$schema", "type"}


def load_endpoint_file(path: Path) -> ManagedOnlineEndpoint:
    return _load(path, ManagedOnlineEndpoint, lambda document: document)


def load_batch_endpoint_file(path: Path) -> BatchEndpoint:
    return _load(path, BatchEndpoint, lambda document: {k: v for k, v in document.items() if k != "auth_mode"})


def load_deployment_file(path: Path) -> ManagedOnlineDeployment:
    return _load(path, ManagedOnlineDeployment, _deployment_fields(path.parent))


def load_batch_deployment_file(path: Path) -> BatchDeployment:
    """A batch deployment; ``resources.instance_count`` goes with the other settings, as Azure ML reads it."""
    fields = _deployment_fields(path.parent)

    def resolve(document: dict[str, Any]) -> dict[str, Any]:
        resources = document.pop("resources", None) or {}
        if "instance_count" in resources:
            document["settings"] = {**(document.get("settings") or {}), "instance_count": resources["instance_count"]}
        resolved: dict[str, Any] = fields(document)
        return resolved

    return _load(path, BatchDeployment, resolve)


def _deployment_fields(base: Path) -> Any:

    def resolve(document: dict[str, Any]) -> dict[str, Any]:
        model = document.get("model")
        if isinstance(model, str) and not model.startswith("azureml:"):
            document["model"] = Model(path=str(base / model), type="mlflow_model")
        elif isinstance(model, dict):
            local = model.get("path")
            document["model"] = Model(**{**model, "path": str(base / local) if local else None})
        if isinstance(code := document.get("code_configuration"), dict):
            document["code_configuration"] = CodeConfiguration(**{**code, "code": str(base / code.get("code", "."))})
        document["environment"] = environment_from_yaml(document.get("environment"), base)
        return document

    return resolve


def _load(path: Path, entity: type[T], resolve: Any) -> T:
    document = read_mapping(path, f"a {entity.__name__}")
    try:
        return entity.model_validate(resolve({k: v for k, v in document.items() if k not in _IGNORED}))
    except (pydantic.ValidationError, TypeError, ValueError) as exc:
        raise ValidationError(f"{path}: {exc}") from exc
