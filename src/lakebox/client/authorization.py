"""``ml_client.role_assignments`` and ``ml_client.role_definitions``: Azure RBAC's shapes over the REST API."""

from __future__ import annotations

from typing import Any

from lakebox.client._http import ApiClient
from lakebox.entities import RoleAssignment, RoleAssignmentCreate, RoleDefinition


class RoleAssignmentOperations:
    def __init__(self, api: ApiClient) -> None:
        self._api = api

    def create(self, assignee: str, role: str, scope: str | None = None) -> RoleAssignment:
        """Assign ``role`` to an identity (name or id) at ``scope`` (absolute, relative, or the workspace)."""
        body = RoleAssignmentCreate(assignee=assignee, role=role, scope=scope).model_dump()
        return RoleAssignment.model_validate(self._api.request("POST", "/api/v1/roleAssignments", json=body))

    def list(
        self, *, assignee: str | None = None, scope: str | None = None, include_inherited: bool = False
    ) -> list[RoleAssignment]:
        params: dict[str, Any] = {"assignee": assignee, "scope": scope, "include_inherited": include_inherited}
        return [
            RoleAssignment.model_validate(i) for i in self._api.request("GET", "/api/v1/roleAssignments", params=params)
        ]

    def delete(self, assignment_id: str) -> RoleAssignment:
        return RoleAssignment.model_validate(self._api.request("DELETE", f"/api/v1/roleAssignments/{assignment_id}"))


class RoleDefinitionOperations:
    def __init__(self, api: ApiClient) -> None:
        self._api = api

    def list(self) -> list[RoleDefinition]:
        return [RoleDefinition.model_validate(i) for i in self._api.request("GET", "/api/v1/roleDefinitions")]

    def create_or_update(self, definition: RoleDefinition | dict[str, Any]) -> RoleDefinition:
        """A custom role, as a ``RoleDefinition`` or Azure role JSON (``roleName``, ``actions``, ``notActions``…)."""
        role = definition if isinstance(definition, RoleDefinition) else RoleDefinition.model_validate(definition)
        body = role.model_dump(mode="json", exclude={"builtin"})
        return RoleDefinition.model_validate(self._api.request("PUT", "/api/v1/roleDefinitions", json=body))

    def delete(self, name: str) -> None:
        self._api.request("DELETE", f"/api/v1/roleDefinitions/{name}")
