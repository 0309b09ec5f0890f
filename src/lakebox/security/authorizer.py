"""The one permission check: may this principal perform this action at this scope?"""

from __future__ import annotations

from typing import Protocol

from lakebox.entities import Principal, RoleAssignment, RoleDefinition
from lakebox.errors import PermissionDeniedError
from lakebox.security import scopes
from lakebox.security.actions import SELF_SERVICE, allowed


class RoleAssignments(Protocol):
    """Where the authorizer reads role assignments and definitions from (the workspace's authorization store)."""

    def assignments(self, *, principal_id: str) -> list[RoleAssignment]: ...

    def role(self, name: str) -> RoleDefinition: ...


class Authorizer:
    def __init__(self, store: RoleAssignments) -> None:
        self._store = store

    def is_allowed(self, principal: Principal, action: str, scope: str, *, data: bool = False) -> bool:
        """True when a role assigned at ``scope`` or above grants ``action`` (a data action if ``data``)."""
        if action in SELF_SERVICE:
            return True
        for assignment in self._store.assignments(principal_id=principal.identity_id):
            if not scopes.contains(assignment.scope, scope):
                continue
            role = self._store.role(assignment.role)
            grants, exclusions = (
                (role.data_actions, role.not_data_actions) if data else (role.actions, role.not_actions)
            )
            if allowed(action, grants, exclusions):
                return True
        return False

    def check(self, principal: Principal, action: str, scope: str, *, data: bool = False) -> None:
        """Raise a 403 naming the missing (data) action and the scope, unless allowed."""
        if not self.is_allowed(principal, action, scope, data=data):
            kind = "data action" if data else "action"
            raise PermissionDeniedError(
                f"{principal.name} may not perform {kind} {action} on {scope}: no role assignment grants it",
                details={"action": action, "scope": scope, "data_action": data},
            )
