"""Workspace connections: the seed's synapse connection, and secret credentials kept in the vault."""

from __future__ import annotations

from collections.abc import Iterator

import pydantic
import pytest

from lakebox import MLClient, NotFoundError
from lakebox.entities import WorkspaceConnection
from tests.conftest import RunningWorkspace


@pytest.fixture
def ml_client(shared_workspace: RunningWorkspace) -> Iterator[MLClient]:
    with MLClient(path=shared_workspace.layout.root) as client:
        yield client


def test_the_seeds_synapse_connection(ml_client: MLClient) -> None:
    synapse_connection = WorkspaceConnection(
        name="synapse-connection",
        type="synapse",
        target="https://synapse-workspace.dev.azuresynapse.net",
        credentials={"type": "ManagedIdentity"},
    )
    ml_client.connections.create_or_update(synapse_connection)
    stored = ml_client.connections.get("synapse-connection")
    assert (stored.type, stored.target, stored.credentials.type) == (
        "synapse",
        "https://synapse-workspace.dev.azuresynapse.net",
        "ManagedIdentity",
    )
    assert "synapse-connection" in [c.name for c in ml_client.connections.list()]


def test_a_password_goes_to_the_vault_and_never_comes_back(
    ml_client: MLClient, shared_workspace: RunningWorkspace
) -> None:
    connection = WorkspaceConnection(
        name="pg-sales",
        type="postgresql",
        target="postgresql://127.0.0.1:5432/sales",
        credentials={"type": "UsernamePassword", "username": "etl", "password": "pg-connection-pw-77"},
    )
    returned = ml_client.connections.create_or_update(connection)
    reference = returned.credentials.secret_fields()["password"]
    assert reference["vault"] == "connections" and reference["name"] == "pg-sales-password"
    assert ml_client.secrets.get("connections", "pg-sales-password").value == "pg-connection-pw-77"
    with shared_workspace.http() as owner:
        listed = owner.get("/api/v1/connections").text + owner.get("/api/v1/audit", params={"limit": 200}).text
    assert "pg-connection-pw-77" not in listed
    ml_client.connections.delete("pg-sales")
    with pytest.raises(NotFoundError):
        ml_client.secrets.get("connections", "pg-sales-password")


def test_unknown_connection_types_are_refused() -> None:
    with pytest.raises(pydantic.ValidationError, match="connection type 'ftp' is not one of"):
        WorkspaceConnection(name="x", type="ftp", target="ftp://x")
