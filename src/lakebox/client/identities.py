"""``ml_client.identities``: who the client is, and signing a browser in."""

from __future__ import annotations

from lakebox.client._http import ApiClient
from lakebox.entities import Principal


class IdentityOperations:
    def __init__(self, api: ApiClient) -> None:
        self._api = api

    def whoami(self) -> Principal:
        return Principal.model_validate(self._api.request("GET", "/api/v1/identities/me"))

    def browser_login_url(self, next_path: str = "/mlflow/") -> str:
        """A one-time URL (valid two minutes) that signs a browser in and opens ``next_path``."""
        body = self._api.request("POST", "/api/v1/auth/browser-codes", params={"next": next_path})
        return self._api.base_url + str(body["login_path"])
