"""``/api/v1/connections``: workspace connections. Secret credential fields given as values are
moved into the vault ``connections`` on the way in; only references to them are ever stored or returned."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request, Response

from lakebox.entities import Principal, SecretSet, Vault
from lakebox.entities.connection import ConnectionCredentials, SecretReference, WorkspaceConnection
from lakebox.errors import BadRequestError
from lakebox.security import actions
from lakebox.server.auth import require
from lakebox.server.context import ServerContext, get_context
from lakebox.server.routers._put import check_name, set_created

router = APIRouter(prefix="/connections", tags=["connections"])
SCOPE = "connections/{name}"
CONNECTION_VAULT = "connections"


@router.put("/{name}", response_model=WorkspaceConnection, summary="Create or update a connection")
def put_connection(
    name: str,
    connection: WorkspaceConnection,
    request: Request,
    response: Response,
    principal: Principal = require(actions.CONNECTIONS_WRITE, scope=SCOPE),
) -> WorkspaceConnection:
    check_name("connection", connection.name, name)
    context = get_context(request)
    stored = connection.model_copy(update={"credentials": _vaulted(context, connection, principal)})
    _, created = context.stores.connections.put(stored)
    set_created(response, created)
    return stored


def _vaulted(context: ServerContext, connection: WorkspaceConnection, principal: Principal) -> ConnectionCredentials:
    """The credentials with each secret value replaced by a reference to where the vault keeps it."""
    fields = connection.credentials.model_dump()
    for field, value in connection.credentials.secret_fields().items():
        if isinstance(value, dict):
            fields[field] = SecretReference.model_validate(value).model_dump()
            continue
        if not isinstance(value, str) or not value:
            raise BadRequestError(f"credential {field!r} must be a string or a secret reference")
        context.stores.vaults.create_vault(Vault(name=CONNECTION_VAULT, description="Secrets of workspace connections"))
        secret_name = re.sub(r"[^A-Za-z0-9-]", "-", f"{connection.name}-{field}")
        properties = context.stores.vaults.set_secret(
            CONNECTION_VAULT, secret_name, SecretSet(value=value), created_by=principal.name
        )
        reference = SecretReference(vault=CONNECTION_VAULT, name=secret_name, version=properties.version)
        fields[field] = reference.model_dump()
    return ConnectionCredentials.model_validate(fields)


@router.get("", response_model=list[WorkspaceConnection], summary="List connections")
def list_connections(request: Request, _: Principal = require(actions.CONNECTIONS_READ)) -> list[WorkspaceConnection]:
    return get_context(request).stores.connections.list()


@router.get("/{name}", response_model=WorkspaceConnection, summary="Show a connection (secrets by reference)")
def get_connection(
    name: str, request: Request, _: Principal = require(actions.CONNECTIONS_READ, scope=SCOPE)
) -> WorkspaceConnection:
    return get_context(request).stores.connections.get(name)


@router.delete("/{name}", status_code=204, summary="Delete a connection")
def delete_connection(
    name: str, request: Request, _: Principal = require(actions.CONNECTIONS_DELETE, scope=SCOPE)
) -> Response:
    stores = get_context(request).stores
    connection = stores.connections.get(name)
    stores.connections.delete(name)
    for value in connection.credentials.secret_fields().values():
        reference = SecretReference.model_validate(value)
        if reference.vault == CONNECTION_VAULT:  # only what the connection itself put there
            stores.vaults.delete_secret(reference.vault, reference.name)
    return Response(status_code=204)
