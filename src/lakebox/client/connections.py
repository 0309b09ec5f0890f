"""``ml_client.connections``: workspace connections; secret credentials go to the vault, never come back."""

from __future__ import annotations

import builtins
from urllib.parse import quote

from lakebox.client._http import ApiClient
from lakebox.entities import WorkspaceConnection


class ConnectionOperations:
    def __init__(self, api: ApiClient) -> None:
        self._api = api

    def create_or_update(self, connection: WorkspaceConnection) -> WorkspaceConnection:
        body = connection.model_dump(mode="json")
        response = self._api.request("PUT", f"/api/v1/connections/{quote(connection.name)}", json=body)
        return WorkspaceConnection.model_validate(response)

    def get(self, name: str) -> WorkspaceConnection:
        return WorkspaceConnection.model_validate(self._api.request("GET", f"/api/v1/connections/{quote(name)}"))

    def list(self) -> builtins.list[WorkspaceConnection]:
        return [WorkspaceConnection.model_validate(item) for item in self._api.request("GET", "/api/v1/connections")]

    def delete(self, name: str) -> None:
        """Delete the connection and the secrets it put in the vault."""
        self._api.request("DELETE", f"/api/v1/connections/{quote(name)}")
