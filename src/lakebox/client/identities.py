"""``ml_client.identities``: users, service principals and their API tokens; who the client is."""

from __future__ import annotations

import builtins

from lakebox.client._http import ApiClient
from lakebox.entities import CreatedToken, Identity, IdentityKind, Principal, TokenCreate, TokenInfo


class IdentityOperations:
    def __init__(self, api: ApiClient) -> None:
        self._api = api

    def whoami(self) -> Principal:
        return Principal.model_validate(self._api.request("GET", "/api/v1/identities/me"))

    def list(self) -> list[Identity]:
        return [Identity.model_validate(item) for item in self._api.request("GET", "/api/v1/identities")]

    def create_user(self, name: str) -> Identity:
        return self._create(name, IdentityKind.USER)

    def create_service_principal(self, name: str) -> Identity:
        return self._create(name, IdentityKind.SERVICE_PRINCIPAL)

    def _create(self, name: str, kind: IdentityKind) -> Identity:
        body = self._api.request("POST", "/api/v1/identities", json={"name": name, "kind": kind.value})
        return Identity.model_validate(body)

    def delete(self, name: str) -> None:
        """Delete an identity with its tokens and role assignments."""
        self._api.request("DELETE", f"/api/v1/identities/{name}")

    def create_token(
        self, identity: str | None = None, *, name: str = "api", expires_in_days: float | None = 90
    ) -> CreatedToken:
        """A new token for ``identity`` (default: yourself). Its value is in the result, and only there."""
        body = TokenCreate(name=name, expires_in_days=expires_in_days).model_dump()
        path = "/api/v1/identities/me/tokens" if identity is None else f"/api/v1/identities/{identity}/tokens"
        return CreatedToken.model_validate(self._api.request("POST", path, json=body))

    def list_tokens(self, identity: str) -> builtins.list[TokenInfo]:
        items = self._api.request("GET", f"/api/v1/identities/{identity}/tokens")
        return [TokenInfo.model_validate(item) for item in items]

    def revoke_token(self, identity: str, token_id: str) -> TokenInfo:
        body = self._api.request("DELETE", f"/api/v1/identities/{identity}/tokens/{token_id}")
        return TokenInfo.model_validate(body)

    def browser_login_url(self, next_path: str = "/mlflow/") -> str:
        """A one-time URL (valid two minutes) that signs a browser in and opens ``next_path``."""
        body = self._api.request("POST", "/api/v1/auth/browser-codes", params={"next": next_path})
        return self._api.base_url + str(body["login_path"])
