"""Token credentials: environment, managed identity, local workspace login, and the default chain.

A credential's ``get_token(*scopes)`` returns an :class:`AccessToken` or raises
``AuthenticationError``. Scopes such as ``https://management.azure.com/.default`` are accepted
as Azure accepts them; a lakebox workspace resource ID as scope
(``/subscriptions/S/resourceGroups/R/providers/lakebox/workspaces/W/.default``) tells the local
credential which workspace's token to use.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import NamedTuple, Protocol

import httpx

from lakebox import settings
from lakebox.errors import AuthenticationError, LakeboxError
from lakebox.identity import logins

# Tokens without an expiry of their own are reported as valid for this long, so callers re-ask.
_RECHECK_SECONDS = 3600
_WORKSPACE_SCOPE = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/lakebox/workspaces/(?P<name>[^/]+)"
)


class AccessToken(NamedTuple):
    """As ``azure.core.credentials.AccessToken``: the token and when it expires (Unix seconds)."""

    token: str
    expires_on: int


class TokenCredential(Protocol):
    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken: ...


class EnvironmentCredential:
    """The token in ``LAKEBOX_TOKEN``."""

    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        token = settings.LAKEBOX_TOKEN.get()
        if not token:
            raise AuthenticationError("EnvironmentCredential: LAKEBOX_TOKEN is not set")
        return AccessToken(token, int(time.time()) + _RECHECK_SECONDS)


class ManagedIdentityCredential:
    """The identity lakebox gives a job or deployment, through ``IDENTITY_ENDPOINT``/``IDENTITY_HEADER``
    (the protocol Azure App Service and Azure ML compute use)."""

    def __init__(self, client_id: str | None = None) -> None:
        self.client_id = client_id

    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        endpoint, header = settings.IDENTITY_ENDPOINT.get(), settings.IDENTITY_HEADER.get()
        if not endpoint or not header:
            raise AuthenticationError("ManagedIdentityCredential: no managed identity endpoint in this process")
        params = {"api-version": "2019-08-01", "resource": _resource_of(scopes)}
        if self.client_id:
            params["client_id"] = self.client_id
        try:
            response = httpx.get(endpoint, params=params, headers={"X-IDENTITY-HEADER": header}, timeout=10)
        except httpx.HTTPError as exc:
            raise AuthenticationError(f"ManagedIdentityCredential: endpoint unreachable: {exc}") from exc
        if response.status_code != 200:
            raise AuthenticationError(f"ManagedIdentityCredential: endpoint answered {response.status_code}")
        body = response.json()
        return AccessToken(body["access_token"], int(body["expires_on"]))


class LocalWorkspaceCredential:
    """For the workspace named by the scope (else the one ``MLClient.from_config()`` would find):
    the token saved by ``lakebox login``, or else the workspace owner's token."""

    def __init__(self, workspace_path: Path | None = None) -> None:
        self.workspace_path = workspace_path

    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        from lakebox.workspace.lookup import find_workspace

        for scope in scopes:
            if _WORKSPACE_SCOPE.match(scope) and (saved := logins.saved_token(scope)):
                return AccessToken(saved, int(time.time()) + _RECHECK_SECONDS)
        try:
            if self.workspace_path is not None:
                layout = find_workspace(path=self.workspace_path)
            elif (match := next(filter(None, (_WORKSPACE_SCOPE.match(s) for s in scopes)), None)) is not None:
                layout = find_workspace(name=match["name"], resource_group=match["rg"], subscription_id=match["sub"])
            else:
                layout = find_workspace()
        except LakeboxError as exc:
            raise AuthenticationError(f"LocalWorkspaceCredential: {exc.message}") from exc
        token = logins.saved_token(layout.read_config().resource_id) or layout.owner_token()
        if not token:
            raise AuthenticationError(f"LocalWorkspaceCredential: no owner token in {layout.root}")
        return AccessToken(token, int(time.time()) + _RECHECK_SECONDS)


class ChainedTokenCredential:
    """Tries each credential in turn; the first token wins, and a failure lists every attempt."""

    def __init__(self, *credentials: TokenCredential) -> None:
        self.credentials = credentials

    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        failures = []
        for credential in self.credentials:
            try:
                return credential.get_token(*scopes, **kwargs)
            except AuthenticationError as exc:
                failures.append(exc.message)
        raise AuthenticationError(
            f"{type(self).__name__} found no credential:\n  " + "\n  ".join(failures),
        )


class DefaultAzureCredential(ChainedTokenCredential):
    """Environment (``LAKEBOX_TOKEN``), then managed identity, then the local workspace's owner token."""

    def __init__(self, *, managed_identity_client_id: str | None = None, **_ignored: object) -> None:
        super().__init__(
            EnvironmentCredential(),
            ManagedIdentityCredential(client_id=managed_identity_client_id),
            LocalWorkspaceCredential(),
        )


def _resource_of(scopes: tuple[str, ...]) -> str:
    scope = scopes[0] if scopes else "lakebox"
    return scope.removesuffix("/.default")
