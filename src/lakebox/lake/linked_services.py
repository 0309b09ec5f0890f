"""What a linked service stands for in this workspace, and its secrets kept in the vault.

See :mod:`lakebox.entities.linked_service` for the types. ``store`` checks a definition and moves
inline secrets (``SecureString`` values, ``Password=`` in a connection string) into the vault
``linked-services``; ``target`` says what it resolves to; ``secret`` reads one of its secrets.
"""

from __future__ import annotations

import re
from typing import Any

from lakebox.entities import Principal, SecretSet, Vault
from lakebox.entities.linked_service import LINKED_SERVICE_TYPES, LinkedService, LinkedServiceTarget
from lakebox.errors import BadRequestError, NotFoundError
from lakebox.store.stores import Stores

LINKED_SERVICE_VAULT = "linked-services"
_VAULT_URL = re.compile(r"^https://(?P<vault>[A-Za-z0-9-]+)\.vault\.azure\.net/?$", re.IGNORECASE)
_STORAGE_URL = re.compile(r"^https://(?P<account>[a-z0-9]+)\.(?:dfs|blob)\.core\.windows\.net", re.IGNORECASE)
VAULT_URL_FORM = "https://<vault>.vault.azure.net/"
STORAGE_URL_FORM = "https://<account>.dfs.core.windows.net/"
_SECRET_KEYS = {"password", "pwd", "accountkey", "sharedaccesssignature", "serviceprincipalkey"}


def parse_connection_string(value: str) -> dict[str, str]:
    """``Key=Value;Key=Value`` with keys lower-cased."""
    pairs = (part.split("=", 1) for part in value.split(";") if "=" in part)
    return {key.strip().lower(): item.strip() for key, item in pairs}


class LinkedServices:
    def __init__(self, stores: Stores, workspace_name: str) -> None:
        self._stores, self._workspace_name = stores, workspace_name

    def store(self, service: LinkedService, principal: Principal) -> tuple[LinkedService, bool]:
        """Check ``service``, vault its inline secrets and store it; returns it and whether it is new."""
        if service.properties.type not in LINKED_SERVICE_TYPES:
            raise BadRequestError(
                f"linked service {service.name}: type {service.properties.type!r} is not one of "
                f"{', '.join(LINKED_SERVICE_TYPES)}"
            )
        properties = dict(service.properties.type_properties)
        self._vault_connection_string_password(service.name, properties, principal)
        for key, value in list(properties.items()):
            if isinstance(value, dict) and value.get("type") == "SecureString":
                properties[key] = self._vault(service.name, key, str(value.get("value", "")), principal)
        stored = service.model_copy(
            update={"properties": service.properties.model_copy(update={"type_properties": properties})}
        )
        self.target(stored)  # refuse what does not resolve, before storing it
        return self._stores.linked_services.put(stored)

    def target(self, service: LinkedService) -> LinkedServiceTarget:
        kind = service.properties.type
        properties = service.properties.type_properties
        secrets = {key: self._reference(service.name, value) for key, value in properties.items() if _is_secret(value)}
        resolved = LinkedServiceTarget(name=service.name, type=kind, kind="", target="", secrets=secrets)
        if kind == "AzureMLService":
            workspace = str(properties.get("mlWorkspaceName", ""))
            if workspace.lower() != self._workspace_name.lower():
                raise BadRequestError(
                    f"linked service {service.name} names ML workspace {workspace!r}; this is {self._workspace_name!r}"
                )
            return resolved.model_copy(update={"kind": "workspace", "target": self._workspace_name})
        if kind == "AzureKeyVault":
            match = _VAULT_URL.match(str(properties.get("baseUrl", "")))
            if match is None:
                raise BadRequestError(f"linked service {service.name}: baseUrl must be {VAULT_URL_FORM}")
            vault = self._stores.vaults.get_vault(match["vault"])
            return resolved.model_copy(update={"kind": "vault", "target": vault.name})
        if kind in ("AzureBlobFS", "AzureBlobStorage"):
            return resolved.model_copy(update={"kind": "datastore", "target": self._storage_account(service)})
        if kind in ("AzureSqlDW", "AzureSqlDatabase"):
            return resolved.model_copy(update={"kind": "warehouse", "target": "warehouse"})
        return resolved.model_copy(update={"kind": "postgresql", "target": _postgres_address(properties)})

    def secret(self, service: LinkedService, field: str) -> str:
        """The value of a secret field (an AzureKeyVaultSecret or a vaulted SecureString)."""
        vault, name = self.secret_location(service, field)
        return self._stores.vaults.get_secret(vault, name).value

    def secret_location(self, service: LinkedService, field: str) -> tuple[str, str]:
        """The vault and secret name a secret field refers to."""
        value = service.properties.type_properties.get(field)
        if not isinstance(value, dict) or not _is_secret(value):
            raise NotFoundError(f"linked service {service.name} has no secret {field!r}")
        vault, name = self._reference(service.name, value).split("/", 1)
        return vault, name

    def _reference(self, service: str, value: dict[str, Any]) -> str:
        if value.get("type") == "LakeboxVaultSecret":
            return f"{value['vault']}/{value['secretName']}"
        store = str((value.get("store") or {}).get("referenceName", ""))
        try:
            vault_service = self._stores.linked_services.get(store)
        except NotFoundError:
            raise BadRequestError(
                f"linked service {service}: its secret refers to linked service {store!r}, which does not exist"
            ) from None
        if vault_service.properties.type != "AzureKeyVault":
            raise BadRequestError(f"linked service {service}: {store!r} is not an AzureKeyVault linked service")
        return f"{self.target(vault_service).target}/{value.get('secretName')}"

    def _vault(self, service: str, field: str, value: str, principal: Principal) -> dict[str, str]:
        if not value:
            raise BadRequestError(f"linked service {service}: SecureString {field!r} has no value")
        self._stores.vaults.create_vault(Vault(name=LINKED_SERVICE_VAULT, description="Secrets of linked services"))
        name = re.sub(r"[^A-Za-z0-9-]", "-", f"{service}-{field}")[:127]
        self._stores.vaults.set_secret(LINKED_SERVICE_VAULT, name, SecretSet(value=value), created_by=principal.name)
        return {"type": "LakeboxVaultSecret", "vault": LINKED_SERVICE_VAULT, "secretName": name}

    def _vault_connection_string_password(self, service: str, properties: dict[str, Any], principal: Principal) -> None:
        text = properties.get("connectionString")
        if isinstance(text, dict) and text.get("type") == "SecureString":
            text = str(text.get("value", ""))
        if not isinstance(text, str):
            return
        kept, secret = [], None
        for part in text.split(";"):
            key = part.split("=", 1)[0].strip().lower()
            if key in _SECRET_KEYS and "=" in part:
                secret = part.split("=", 1)[1]
            elif part.strip():
                kept.append(part)
        properties["connectionString"] = ";".join(kept)
        if secret and "password" not in properties:
            properties["password"] = self._vault(service, "password", secret, principal)

    def _storage_account(self, service: LinkedService) -> str:
        properties = service.properties.type_properties
        account = None
        if match := _STORAGE_URL.match(str(properties.get("url") or properties.get("serviceEndpoint") or "")):
            account = match["account"]
        elif isinstance(properties.get("connectionString"), str):
            account = parse_connection_string(properties["connectionString"]).get("accountname")
        if not account:
            raise BadRequestError(f"linked service {service.name}: give url {STORAGE_URL_FORM}")
        if not any((d.account_name or "").lower() == account.lower() for d in self._stores.datastores.list()):
            raise NotFoundError(
                f"linked service {service.name}: no datastore is registered for storage account {account!r}; "
                "register one with account_name and container_name"
            )
        return account


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get("type") in ("AzureKeyVaultSecret", "LakeboxVaultSecret")


def _postgres_address(properties: dict[str, Any]) -> str:
    parts = parse_connection_string(str(properties.get("connectionString", "")))
    host = parts.get("host") or parts.get("server") or str(properties.get("host", ""))
    port = parts.get("port") or str(properties.get("port", "5432"))
    database = parts.get("database") or str(properties.get("database", ""))
    user = parts.get("uid") or parts.get("user id") or parts.get("username") or str(properties.get("username", ""))
    if not host:
        raise BadRequestError("a PostgreSql linked service needs a host (connectionString host=... or host)")
    return f"postgresql://{user}@{host}:{port}/{database}"
