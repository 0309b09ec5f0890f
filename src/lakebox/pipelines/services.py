"""What activities reach in the workspace: its stores, lake, warehouse, batch endpoints and job runner,
as the pipeline's identity (the workspace's managed identity, as a factory's pipelines run as its own)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lakebox.entities import Principal
from lakebox.entities.linked_service import LinkedService
from lakebox.lake.datastores import lake_resolver
from lakebox.lake.linked_services import LinkedServices, parse_connection_string
from lakebox.lake.uris import LakeResolver
from lakebox.lake.warehouse_engine import WarehouseEngine
from lakebox.security import actions
from lakebox.security.authorizer import Authorizer
from lakebox.store.stores import Stores
from lakebox.workspace.defaults import SYSTEM_IDENTITY_NAME
from lakebox.workspace.layout import WorkspaceLayout

if TYPE_CHECKING:
    from lakebox.batch.endpoints import BatchEndpoints
    from lakebox.jobs.runner import JobRunner


@dataclass
class Services:
    layout: WorkspaceLayout
    stores: Stores
    workspace_name: str
    warehouse: Callable[[], WarehouseEngine]
    batch_endpoints: Callable[[], BatchEndpoints]
    runner: Callable[[], JobRunner]

    @property
    def principal(self) -> Principal:
        identity = self.stores.identities.get_by_name(SYSTEM_IDENTITY_NAME)
        return Principal(identity_id=identity.id, name=identity.name, kind=identity.kind, token_id="pipeline")

    def authorize(self, action: str, child: str, *, principal: Principal | None = None) -> None:
        """The pipeline's identity (or ``principal``) must hold data action ``action`` on ``child`` of the
        workspace (``warehouse``, ``datastores/<name>``, ...)."""
        scope = f"{self.stores.workspaces.get().resource_id}/{child}"
        Authorizer(self.stores.authorization).check(principal or self.principal, action, scope, data=True)

    def sql_engine(self, linked_service: str) -> WarehouseEngine:
        """The database a SQL linked service points at: the workspace's warehouse, or a PostgreSQL
        server reached with the linked service's user and vaulted password."""
        service = self.stores.linked_services.get(linked_service)
        target = self.linked_services().target(service)
        if target.kind == "warehouse":
            return self.warehouse()
        from lakebox.lake.postgres_warehouse import PostgresWarehouse

        user, password = self._login(service)
        return PostgresWarehouse(target.target.replace(f"{user}@", "", 1) if user else target.target, user, password)

    def _login(self, service: LinkedService) -> tuple[str | None, str | None]:
        """The user a SQL linked service names and its password (read from the vault as the pipeline)."""
        properties = service.properties.type_properties
        parts = parse_connection_string(str(properties.get("connectionString") or ""))
        user = parts.get("user id") or parts.get("uid") or parts.get("user") or parts.get("username")
        user = user or properties.get("userName") or properties.get("username")
        if not user or "password" not in properties:
            return (str(user) if user else None), None
        services = self.linked_services()
        vault, _ = services.secret_location(service, "password")
        self.authorize(actions.SECRETS_GET, f"vaults/{vault}")
        return str(user), services.secret(service, "password")

    def sql_principal(self, linked_service: str) -> Principal:
        """Who the pipeline is in the warehouse through ``linked_service``: the SQL login its connection
        string names (its password read from the vault as the pipeline's identity), else that identity."""
        user, password = self._login(self.stores.linked_services.get(linked_service))
        if not user:
            return self.principal
        return self.stores.identities.authenticate_password(user, password or "")

    def linked_services(self) -> LinkedServices:
        return LinkedServices(self.stores, self.workspace_name)

    def lake(self) -> LakeResolver:
        return lake_resolver(self.stores, self.layout)
