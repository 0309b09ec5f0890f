"""``MLClient``: the entry point of the SDK, with the constructor and ``from_config`` of Azure ML's."""

from __future__ import annotations

import json
import ssl
from pathlib import Path
from types import TracebackType

import httpx

from lakebox import settings
from lakebox.client._http import ApiClient
from lakebox.client.audit import AuditOperations
from lakebox.client.authorization import RoleAssignmentOperations, RoleDefinitionOperations
from lakebox.client.batch_endpoints import BatchDeploymentOperations, BatchEndpointOperations
from lakebox.client.compute import ComputeOperations
from lakebox.client.connections import ConnectionOperations
from lakebox.client.data import DataOperations
from lakebox.client.datastores import DatastoreOperations
from lakebox.client.environments import EnvironmentOperations
from lakebox.client.identities import IdentityOperations
from lakebox.client.jobs import JobOperations
from lakebox.client.linked_services import LinkedServiceOperations
from lakebox.client.models import ModelOperations
from lakebox.client.online_endpoints import OnlineDeploymentOperations, OnlineEndpointOperations
from lakebox.client.pipelines import PipelineOperations
from lakebox.client.schedules import ScheduleOperations
from lakebox.client.spark_pools import SparkPoolOperations
from lakebox.client.vaults import SecretOperations, VaultOperations
from lakebox.client.warehouse import WarehouseOperations
from lakebox.client.workspaces import WorkspaceOperations
from lakebox.entities import WorkspaceConfig
from lakebox.entities.workspace import workspace_resource_id
from lakebox.errors import NotFoundError
from lakebox.identity.credentials import DefaultAzureCredential, TokenCredential
from lakebox.workspace.layout import CONFIG_FILE, WorkspaceLayout
from lakebox.workspace.lookup import find_config_file, find_workspace


class MLClient:
    """A client of one workspace.

    Local workspaces are found by name (``LAKEBOX_HOME`` registry) or ``path``; their server is
    started in the background when none is running, and reused when one is. Give ``endpoint``
    (or set ``LAKEBOX_ENDPOINT``) to talk to a server elsewhere.
    """

    def __init__(
        self,
        credential: TokenCredential | None = None,
        subscription_id: str | None = None,
        resource_group_name: str | None = None,
        workspace_name: str | None = None,
        *,
        path: str | Path | None = None,
        endpoint: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        endpoint = endpoint or settings.LAKEBOX_ENDPOINT.get()
        self.workspace_path: Path | None = None
        verify: ssl.SSLContext | bool = True
        if endpoint is None:
            layout = find_workspace(
                path=Path(path) if path is not None else None,
                name=workspace_name,
                resource_group=resource_group_name,
                subscription_id=subscription_id,
            )
            config = layout.read_config()
            subscription_id, resource_group_name, workspace_name = (
                config.subscription_id,
                config.resource_group,
                config.workspace_name,
            )
            self.workspace_path = layout.root
            endpoint, verify = self._local_endpoint(layout)
        self.subscription_id = subscription_id
        self.resource_group_name = resource_group_name
        self.workspace_name = workspace_name
        self._api = ApiClient(
            endpoint, credential or DefaultAzureCredential(), self._scope(), transport=transport, verify=verify
        )
        self.workspaces = WorkspaceOperations(self._api)
        self.compute = ComputeOperations(self._api)
        self.environments = EnvironmentOperations(self._api)
        self.datastores = DatastoreOperations(self._api)
        self.connections = ConnectionOperations(self._api)
        self.data = DataOperations(self._api)
        self.spark_pools = SparkPoolOperations(self._api)
        self.linked_services = LinkedServiceOperations(self._api)
        self.jobs = JobOperations(self._api, self.environments)
        self.models = ModelOperations(self._api)
        self.online_endpoints = OnlineEndpointOperations(self._api)
        self.online_deployments = OnlineDeploymentOperations(self._api, self.models, self.environments)
        self.batch_endpoints = BatchEndpointOperations(self._api, self.jobs)
        self.batch_deployments = BatchDeploymentOperations(self._api, self.models, self.environments, self.jobs)
        self.pipelines = PipelineOperations(self._api)
        self.schedules = ScheduleOperations(self._api, self.jobs)
        self.audit = AuditOperations(self._api)
        self.identities = IdentityOperations(self._api)
        self.role_assignments = RoleAssignmentOperations(self._api)
        self.role_definitions = RoleDefinitionOperations(self._api)
        self.vaults = VaultOperations(self._api)
        self.secrets = SecretOperations(self._api)
        self.warehouse = WarehouseOperations(self._api)

    @classmethod
    def from_config(
        cls,
        credential: TokenCredential | None = None,
        *,
        path: str | Path | None = None,
        file_name: str | None = None,
        **kwargs: object,
    ) -> MLClient:
        """A client for the workspace of a ``config.json`` (at ``path``, or the nearest from the current folder up)."""
        config_file = _locate_config(Path(path) if path is not None else None, file_name or CONFIG_FILE)
        config = WorkspaceConfig.model_validate(json.loads(config_file.read_text()))
        folder = config_file.parent
        return cls(
            credential,
            config.subscription_id,
            config.resource_group,
            config.workspace_name,
            path=folder if config.endpoint is None and WorkspaceLayout(folder).is_workspace() else None,
            endpoint=config.endpoint,
            **kwargs,  # type: ignore[arg-type]
        )

    @property
    def base_url(self) -> str:
        return self._api.base_url

    @staticmethod
    def _local_endpoint(layout: WorkspaceLayout) -> tuple[str, ssl.SSLContext | bool]:
        from lakebox.server.process import start_server

        record, _started = start_server(layout)
        return record.url, record.verify()

    def _scope(self) -> str:
        if self.subscription_id and self.resource_group_name and self.workspace_name:
            return (
                workspace_resource_id(self.subscription_id, self.resource_group_name, self.workspace_name) + "/.default"
            )
        return "lakebox/.default"

    def close(self) -> None:
        self._api.close()

    def __enter__(self) -> MLClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"MLClient(subscription_id={self.subscription_id!r}, resource_group_name={self.resource_group_name!r}, "
            f"workspace_name={self.workspace_name!r}, endpoint={self.base_url!r})"
        )


def _locate_config(path: Path | None, file_name: str) -> Path:
    if path is not None and path.is_file():
        return path
    if path is not None:
        for candidate in (path / file_name, path / ".azureml" / file_name):
            if candidate.is_file():
                return candidate
        raise NotFoundError(f"no {file_name} in {path} or {path / '.azureml'}")
    found = find_config_file(Path.cwd())
    if found is None:
        raise NotFoundError(
            f"no {CONFIG_FILE} in {Path.cwd()} or any folder above it; pass path= or run "
            "`lakebox workspace show --output json` to see a workspace's folder"
        )
    return found
