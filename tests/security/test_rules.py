"""Action patterns, scope containment and role evaluation, on a real store."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakebox.entities import IdentityKind, Principal, RoleDefinition
from lakebox.errors import BadRequestError, ConflictError, NotFoundError, PermissionDeniedError
from lakebox.security import actions, scopes
from lakebox.security.authorizer import Authorizer
from lakebox.store.stores import Stores

WS = "/subscriptions/s/resourceGroups/rg/providers/lakebox/workspaces/w"


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("*", "lakebox/workspaces/jobs/write", True),
        ("*/read", "lakebox/workspaces/jobs/read", True),
        ("*/read", "lakebox/workspaces/jobs/write", False),
        ("lakebox/workspaces/*/read", "lakebox/workspaces/read", False),
        ("LAKEBOX/Workspaces/Jobs/*", "lakebox/workspaces/jobs/delete", True),
        ("lakebox/workspaces/vaults/secrets/*", "lakebox/workspaces/vaults/secrets/getSecret/action", True),
        ("lakebox/workspaces/jobs.write", "lakebox/workspaces/jobsXwrite", False),
    ],
)
def test_action_patterns(pattern: str, action: str, expected: bool) -> None:
    assert actions.matches(pattern, action) is expected


def test_scopes_cover_children_never_siblings() -> None:
    assert scopes.contains(WS, WS + "/endpoints/a")
    assert scopes.contains("/subscriptions/s/resourceGroups/RG", WS)
    assert not scopes.contains(WS + "/endpoints/a", WS + "/endpoints/ab")
    assert not scopes.contains(WS + "/endpoints/a", WS)
    assert scopes.resolve("endpoints/a", WS) == WS + "/endpoints/a"
    assert scopes.resolve(None, WS) == WS
    assert scopes.resolve("/subscriptions/s/resourceGroups/rg", WS) == "/subscriptions/s/resourceGroups/rg"
    with pytest.raises(BadRequestError, match="outside this workspace"):
        scopes.resolve("/subscriptions/s/resourceGroups/rg/providers/lakebox/workspaces/other", WS)
    with pytest.raises(BadRequestError, match="not a resource path"):
        scopes.resolve("endpoints/../../x", WS)


@pytest.fixture
def stores(tmp_path: Path) -> Stores:
    return Stores.open(f"sqlite:///{tmp_path / 'meta.db'}", audit_key=b"k" * 32)


def _principal(stores: Stores, name: str) -> Principal:
    identity = stores.identities.create(name, IdentityKind.USER)
    return Principal(identity_id=identity.id, name=name, kind=identity.kind, token_id="t")


def test_data_actions_need_data_roles(stores: Stores) -> None:
    alice = _principal(stores, "alice")
    authorizer = Authorizer(stores.authorization)
    stores.authorization.assign(alice.identity_id, "Contributor", WS)
    assert authorizer.is_allowed(alice, "lakebox/workspaces/vaults/read", WS)
    with pytest.raises(PermissionDeniedError, match=r"data action .*getSecret/action on .*/vaults/kv"):
        authorizer.check(alice, actions.SECRETS_GET, WS + "/vaults/kv", data=True)
    stores.authorization.assign(alice.identity_id, "Key Vault Secrets User", WS + "/vaults/kv")
    assert authorizer.is_allowed(alice, actions.SECRETS_GET, WS + "/vaults/kv", data=True)
    assert not authorizer.is_allowed(alice, actions.SECRETS_GET, WS + "/vaults/other", data=True)
    assert not authorizer.is_allowed(alice, actions.SECRETS_SET, WS + "/vaults/kv", data=True)


def test_not_actions_take_back_and_self_service_is_always_allowed(stores: Stores) -> None:
    bob = _principal(stores, "bob")
    authorizer = Authorizer(stores.authorization)
    assert authorizer.is_allowed(bob, actions.SELF_READ, WS)
    assert not authorizer.is_allowed(bob, actions.WORKSPACE_READ, WS)
    stores.authorization.assign(bob.identity_id, "AzureML Data Scientist", WS)
    assert authorizer.is_allowed(bob, "lakebox/workspaces/jobs/write", WS)
    assert not authorizer.is_allowed(bob, "lakebox/workspaces/computes/write", WS)
    assert not authorizer.is_allowed(bob, actions.ROLE_ASSIGNMENTS_WRITE, WS)


def test_custom_roles_from_azure_json(stores: Stores) -> None:
    role = RoleDefinition.model_validate(
        {
            "roleName": "Endpoint Operator",
            "description": "Manage endpoints only",
            "actions": ["lakebox/workspaces/onlineEndpoints/*"],
            "notActions": ["lakebox/workspaces/onlineEndpoints/delete"],
        }
    )
    stores.authorization.put_custom_role(role)
    carol = _principal(stores, "carol")
    stores.authorization.assign(carol.identity_id, "endpoint operator", WS)
    authorizer = Authorizer(stores.authorization)
    assert authorizer.is_allowed(carol, "lakebox/workspaces/onlineEndpoints/write", WS)
    assert not authorizer.is_allowed(carol, "lakebox/workspaces/onlineEndpoints/delete", WS)
    with pytest.raises(ConflictError, match="still assigned"):
        stores.authorization.delete_custom_role("Endpoint Operator")
    with pytest.raises(ConflictError, match="built-in"):
        stores.authorization.put_custom_role(role.model_copy(update={"name": "Reader"}))
    with pytest.raises(NotFoundError, match="roles: Owner, Contributor, Reader"):
        stores.authorization.assign(carol.identity_id, "Superuser", WS)


def test_last_owner_cannot_be_removed(stores: Stores) -> None:
    dave, erin = _principal(stores, "dave"), _principal(stores, "erin")
    first = stores.authorization.assign(dave.identity_id, "Owner", WS)
    with pytest.raises(ConflictError, match="last Owner"):
        stores.authorization.unassign(first.id)
    narrower = stores.authorization.assign(erin.identity_id, "Owner", WS + "/endpoints/e")
    with pytest.raises(ConflictError, match="last Owner"):
        stores.authorization.unassign(first.id)
    stores.authorization.unassign(narrower.id)
    stores.authorization.assign(erin.identity_id, "Owner", "/subscriptions/s")
    stores.authorization.unassign(first.id)
    with pytest.raises(ConflictError, match="already holds"):
        stores.authorization.assign(erin.identity_id, "owner", "/subscriptions/s")
