"""What the SDK does the same way for jobs, online and batch endpoints and deployments: upload code, register
a model, and create, read and delete endpoints and their deployments."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Generic, TypeVar

from pydantic import BaseModel

from lakebox.client._http import ApiClient
from lakebox.client.environments import EnvironmentOperations
from lakebox.client.models import ModelOperations
from lakebox.client.poller import LROPoller
from lakebox.entities.endpoint import Deployment
from lakebox.entities.model import Model
from lakebox.jobs.code import pack

E = TypeVar("E", bound=BaseModel)
D = TypeVar("D", bound=Deployment)


class EndpointOperations(Generic[E]):
    """The operations of ``ml_client.online_endpoints`` and ``ml_client.batch_endpoints`` that are the same
    but for the entity; a subclass names its ``_path``, ``_entity`` and the fields only the server sets."""

    _path: str
    _entity: type[E]
    _server_fields: frozenset[str]

    def __init__(self, api: ApiClient) -> None:
        self._api = api

    def begin_create_or_update(self, endpoint: E) -> LROPoller[E]:
        """Create the endpoint, or update it (an online endpoint given ``traffic=None`` keeps its traffic)."""
        body = endpoint.model_dump(mode="json", exclude=set(self._server_fields))
        stored = self._entity.model_validate(self._api.request("PUT", f"{self._path}/{body['name']}", json=body))
        return LROPoller.completed(stored)

    def get(self, name: str) -> E:
        return self._entity.model_validate(self._api.request("GET", f"{self._path}/{name}"))

    def list(self) -> builtins.list[E]:
        return [self._entity.model_validate(item) for item in self._api.request("GET", self._path)]

    def begin_delete(self, name: str) -> LROPoller[None]:
        self._api.request("DELETE", f"{self._path}/{name}")
        return LROPoller.completed(None)


class DeploymentOperations(Generic[D]):
    """The operations of ``ml_client.online_deployments`` and ``ml_client.batch_deployments`` that are the
    same but for the entity; a subclass names its endpoints' ``_path`` and its ``_entity``."""

    _path: str
    _entity: type[D]

    def __init__(self, api: ApiClient, models: ModelOperations, environments: EnvironmentOperations) -> None:
        self._api, self._models, self._environments = api, models, environments

    def _uploaded(self, deployment: D) -> D:
        """The deployment with its scoring code uploaded, its model registered and its environment inline."""
        return deployment.model_copy(
            update={
                "model": registered_model(self._models, deployment),
                "environment": self._environments.inline(deployment.environment),
                "code_id": upload_code(self._api, deployment),
            }
        )

    def _url(self, endpoint_name: str, name: str) -> str:
        return f"{self._path}/{endpoint_name}/deployments/{name}"

    def get(self, name: str, endpoint_name: str) -> D:
        return self._entity.model_validate(self._api.request("GET", self._url(endpoint_name, name)))

    def list(self, endpoint_name: str) -> builtins.list[D]:
        items = self._api.request("GET", f"{self._path}/{endpoint_name}/deployments")
        return [self._entity.model_validate(item) for item in items]

    def begin_delete(self, name: str, endpoint_name: str) -> LROPoller[None]:
        self._api.request("DELETE", self._url(endpoint_name, name))
        return LROPoller.completed(None)


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
