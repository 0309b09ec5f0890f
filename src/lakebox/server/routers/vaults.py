"""``/api/v1/vaults``: vaults (control plane) and their secrets (data actions, as in Key Vault).

Managing a vault needs ``vaults/*`` actions; anything about its secrets needs data actions at
the vault's scope: ``readMetadata`` to list, ``setSecret`` to write, ``getSecret`` for a value.
Reading a value is always audited, by name and version only.
"""

from __future__ import annotations

from fastapi import APIRouter, Path, Query, Request, Response

from lakebox.entities import KeyVaultSecret, Principal, SecretProperties, SecretSet, SecretUpdate, Vault
from lakebox.entities.vault import SECRET_NAME_PATTERN, VAULT_NAME_PATTERN
from lakebox.security import actions
from lakebox.server.auth import require
from lakebox.server.context import get_context
from lakebox.server.routers._put import check_name, set_created

router = APIRouter(prefix="/vaults", tags=["vaults"])
VAULT_SCOPE = "vaults/{vault}"
VaultName = Path(pattern=VAULT_NAME_PATTERN, description="The vault's name")
SecretName = Path(pattern=SECRET_NAME_PATTERN, description="The secret's name")


@router.put("/{vault}", response_model=Vault, summary="Create or update a vault")
def put_vault(
    body: Vault,
    request: Request,
    response: Response,
    vault: str = VaultName,
    _: Principal = require(actions.VAULTS_WRITE, scope=VAULT_SCOPE),
) -> Vault:
    check_name("vault", body.name, vault)
    stored, created = get_context(request).stores.vaults.create_vault(body)
    set_created(response, created)
    return stored


@router.get("", response_model=list[Vault], summary="List vaults")
def list_vaults(request: Request, _: Principal = require(actions.VAULTS_READ)) -> list[Vault]:
    return get_context(request).stores.vaults.list_vaults()


@router.get("/{vault}", response_model=Vault, summary="Show a vault")
def get_vault(request: Request, vault: str, _: Principal = require(actions.VAULTS_READ, scope=VAULT_SCOPE)) -> Vault:
    return get_context(request).stores.vaults.get_vault(vault)


@router.delete("/{vault}", status_code=204, summary="Delete a vault and all its secrets")
def delete_vault(
    request: Request, vault: str, _: Principal = require(actions.VAULTS_DELETE, scope=VAULT_SCOPE)
) -> Response:
    get_context(request).stores.vaults.delete_vault(vault)
    return Response(status_code=204)


@router.get("/{vault}/secrets", response_model=list[SecretProperties], summary="List secrets (no values)")
def list_secrets(
    request: Request, vault: str, _: Principal = require(actions.SECRETS_READ_METADATA, scope=VAULT_SCOPE, data=True)
) -> list[SecretProperties]:
    return get_context(request).stores.vaults.list_secrets(vault)


@router.put(
    "/{vault}/secrets/{name}", response_model=SecretProperties, status_code=201, summary="Set a new secret version"
)
def set_secret(
    body: SecretSet,
    request: Request,
    vault: str,
    name: str = SecretName,
    principal: Principal = require(actions.SECRETS_SET, scope=VAULT_SCOPE, data=True),
) -> SecretProperties:
    return get_context(request).stores.vaults.set_secret(vault, name, body, created_by=principal.name)


@router.get("/{vault}/secrets/{name}", response_model=KeyVaultSecret, summary="A secret's value")
def get_secret(
    request: Request,
    vault: str,
    name: str,
    version: str | None = Query(None, description="A version; the current one by default"),
    _: Principal = require(actions.SECRETS_GET, scope=VAULT_SCOPE, data=True),
) -> KeyVaultSecret:
    request.scope["state"]["force_audit"] = True
    return get_context(request).stores.vaults.get_secret(vault, name, version)


@router.get("/{vault}/secrets/{name}/versions", response_model=list[SecretProperties], summary="A secret's versions")
def list_secret_versions(
    request: Request,
    vault: str,
    name: str,
    _: Principal = require(actions.SECRETS_READ_METADATA, scope=VAULT_SCOPE, data=True),
) -> list[SecretProperties]:
    return get_context(request).stores.vaults.list_versions(vault, name)


@router.patch("/{vault}/secrets/{name}", response_model=SecretProperties, summary="Enable, disable or tag a version")
def update_secret(
    body: SecretUpdate,
    request: Request,
    vault: str,
    name: str,
    version: str | None = Query(None, description="A version; the current one by default"),
    _: Principal = require(actions.SECRETS_SET, scope=VAULT_SCOPE, data=True),
) -> SecretProperties:
    return get_context(request).stores.vaults.update_secret(vault, name, version, body)


@router.delete("/{vault}/secrets/{name}", status_code=204, summary="Delete a secret with all its versions")
def delete_secret(
    request: Request,
    vault: str,
    name: str,
    _: Principal = require(actions.SECRETS_DELETE, scope=VAULT_SCOPE, data=True),
) -> Response:
    get_context(request).stores.vaults.delete_secret(vault, name)
    return Response(status_code=204)
