"""What the SDK does the same way for jobs, online and batch deployments: upload code, register a model."""

from __future__ import annotations

from pathlib import Path

from lakebox.client._http import ApiClient
from lakebox.client.models import ModelOperations
from lakebox.entities.endpoint import Deployment
from lakebox.entities.model import Model
from lakebox.jobs.code import pack


def registered_model(models: ModelOperations, deployment: Deployment) -> str | None:
    """The deployment's model as a reference; a model given as files is registered first."""
    model = deployment.model
    if isinstance(model, Model):
        if model.version is None or model.name is None:
            name = model.name or f"{deployment.endpoint_name}-{deployment.name}-model"
            model = models.create_or_update(model.model_copy(update={"name": name}))
        return model.id
    return model


def upload_code(api: ApiClient, deployment: Deployment) -> str | None:
    """The id of the deployment's scoring code, uploaded as a snapshot of its folder."""
    if deployment.code_configuration is None or deployment.code_configuration.code is None:
        return deployment.code_id
    return upload_folder(api, Path(deployment.code_configuration.code))


def upload_folder(api: ApiClient, folder: Path) -> str:
    """Upload a snapshot of ``folder`` (honouring .amlignore/.gitignore); returns its code id."""
    data = pack(folder.expanduser().resolve())
    return str(api.request("POST", "/api/v1/code", content=data, content_type="application/gzip")["code_id"])
