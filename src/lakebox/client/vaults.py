"""``ml_client.vaults`` and ``ml_client.secrets``: vaults, and versioned secrets inside them."""

from __future__ import annotations

import builtins
from urllib.parse import quote

from lakebox.client._http import ApiClient
from lakebox.entities import KeyVaultSecret, SecretProperties, SecretSet, SecretUpdate, Vault


class VaultOperations:
    def __init__(self, api: ApiClient) -> None:
        self._api = api

    def create_or_update(self, vault: Vault) -> Vault:
        body = vault.model_dump(mode="json", exclude={"created_on"})
        return Vault.model_validate(self._api.request("PUT", f"/api/v1/vaults/{quote(vault.name)}", json=body))

    def get(self, name: str) -> Vault:
        return Vault.model_validate(self._api.request("GET", f"/api/v1/vaults/{quote(name)}"))

    def list(self) -> builtins.list[Vault]:
        return [Vault.model_validate(item) for item in self._api.request("GET", "/api/v1/vaults")]

    def delete(self, name: str) -> None:
        """Delete the vault and every secret in it."""
        self._api.request("DELETE", f"/api/v1/vaults/{quote(name)}")


class SecretOperations:
    """Secrets of the workspace's vaults; reading a value needs the Key Vault Secrets User role."""

    def __init__(self, api: ApiClient) -> None:
        self._api = api

    def set(
        self,
        vault: str,
        name: str,
        value: str,
        *,
        content_type: str | None = None,
        tags: dict[str, str] | None = None,
        enabled: bool = True,
    ) -> SecretProperties:
        """Store ``value`` as the secret's new current version."""
        body = SecretSet(value=value, content_type=content_type, tags=tags or {}, enabled=enabled)
        response = self._api.request("PUT", self._path(vault, name), json=body.model_dump(mode="json"))
        return SecretProperties.model_validate(response)

    def get(self, vault: str, name: str, version: str | None = None) -> KeyVaultSecret:
        """The value (``.value``) of the current version, or of ``version``."""
        response = self._api.request("GET", self._path(vault, name), params={"version": version})
        return KeyVaultSecret.model_validate(response)

    def list(self, vault: str) -> builtins.list[SecretProperties]:
        """The current version of every secret in ``vault``, without values."""
        response = self._api.request("GET", f"/api/v1/vaults/{quote(vault)}/secrets")
        return [SecretProperties.model_validate(item) for item in response]

    def list_versions(self, vault: str, name: str) -> builtins.list[SecretProperties]:
        response = self._api.request("GET", self._path(vault, name) + "/versions")
        return [SecretProperties.model_validate(item) for item in response]

    def update(
        self,
        vault: str,
        name: str,
        version: str | None = None,
        *,
        enabled: bool | None = None,
        content_type: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> SecretProperties:
        """Enable or disable a version, or change its content type or tags."""
        changes = {"enabled": enabled, "content_type": content_type, "tags": tags}
        body = SecretUpdate.model_validate({k: v for k, v in changes.items() if v is not None})
        response = self._api.request(
            "PATCH", self._path(vault, name), params={"version": version}, json=body.model_dump(exclude_unset=True)
        )
        return SecretProperties.model_validate(response)

    def delete(self, vault: str, name: str) -> None:
        """Delete the secret with every version."""
        self._api.request("DELETE", self._path(vault, name))

    @staticmethod
    def _path(vault: str, name: str) -> str:
        return f"/api/v1/vaults/{quote(vault)}/secrets/{quote(name)}"
