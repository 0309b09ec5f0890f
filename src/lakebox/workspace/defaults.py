"""Defaults of a workspace (datastore, identities, role assignments), created once and checked on every start."""

from __future__ import annotations

from lakebox.entities import IdentityKind, Workspace
from lakebox.errors import NotFoundError
from lakebox.security.roles import CREATOR_ROLES, SYSTEM_IDENTITY_ROLES
from lakebox.store.stores import Stores

SYSTEM_IDENTITY_NAME = "workspace-managed-identity"
OWNER_TOKEN_NAME = "owner"


def ensure_defaults(stores: Stores, workspace: Workspace) -> None:
    """Register the default datastore; give the creator (holder of the owner token) and the
    system-assigned identity their roles.

    Roles are given only while the workspace has no role assignment at all, so choices made later stand.
    """
    stores.datastores.ensure_default()
    if stores.authorization.assignments():
        return
    scope = workspace.resource_id
    creator = stores.identities.token_holder(OWNER_TOKEN_NAME)
    for role in CREATOR_ROLES:
        stores.authorization.assign(creator.id, role, scope)
    system = _system_identity(stores)
    for role in SYSTEM_IDENTITY_ROLES:
        stores.authorization.assign(system, role, scope)


def _system_identity(stores: Stores) -> str:
    try:
        return stores.identities.get_by_name(SYSTEM_IDENTITY_NAME).id
    except NotFoundError:
        return stores.identities.create(SYSTEM_IDENTITY_NAME, IdentityKind.MANAGED_IDENTITY).id
