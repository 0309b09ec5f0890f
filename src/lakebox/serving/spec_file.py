"""Azure ML CLI v2 YAML for online endpoints and managed online deployments; paths are relative to the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import pydantic
import yaml

from lakebox.entities.endpoint import CodeConfiguration, ManagedOnlineDeployment, ManagedOnlineEndpoint
from lakebox.entities.model import Model
from lakebox.errors import ValidationError
from lakebox.jobs.spec_file import environment_from_yaml

T = TypeVar("T", bound=pydantic.BaseModel)
_IGNORED = {"$schema", "type"}


def load_endpoint_file(path: Path) -> ManagedOnlineEndpoint:
    return _load(path, ManagedOnlineEndpoint, lambda document: document)


def load_deployment_file(path: Path) -> ManagedOnlineDeployment:
    base = path.parent

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

    return _load(path, ManagedOnlineDeployment, resolve)


def _load(path: Path, entity: type[T], resolve: Any) -> T:
    try:
        document = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ValidationError(f"cannot read {path}: {exc}") from exc
    if not isinstance(document, dict):
        raise ValidationError(f"{path}: expected a mapping")
    try:
        return entity.model_validate(resolve({k: v for k, v in document.items() if k not in _IGNORED}))
    except (pydantic.ValidationError, TypeError, ValueError) as exc:
        raise ValidationError(f"{path}: {exc}") from exc
