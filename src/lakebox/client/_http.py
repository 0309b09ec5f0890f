"""The one request core under every operation group: auth header, JSON, and errors as lakebox classes."""

from __future__ import annotations

import ssl
import time
from typing import Any

import httpx

from lakebox.errors import UnavailableError, error_from_response
from lakebox.identity.credentials import AccessToken, TokenCredential

_REFRESH_MARGIN_SECONDS = 60
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)


class ApiClient:
    """Talks to one server at ``base_url`` with tokens from ``credential`` for ``scope``, or as a SQL
    ``login`` (name, password) with HTTP Basic, which only the warehouse's routes accept."""

    def __init__(
        self,
        base_url: str,
        credential: TokenCredential | None,
        scope: str,
        *,
        transport: httpx.BaseTransport | None = None,
        verify: ssl.SSLContext | bool = True,
        login: tuple[str, str] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._login = httpx.BasicAuth(*login) if login else None
        self._credential = credential
        self._scope = scope
        self._token: AccessToken | None = None
        self._http = httpx.Client(base_url=self.base_url, transport=transport, timeout=DEFAULT_TIMEOUT, verify=verify)

    def token(self) -> str:
        assert self._credential is not None, "a client without a credential signs in as a SQL login"
        if self._token is None or self._token.expires_on - _REFRESH_MARGIN_SECONDS <= time.time():
            self._token = self._credential.get_token(self._scope)
        return self._token.token

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
    ) -> Any:
        """Send one API call; returns the decoded JSON body or raises the server's error class."""
        params = {k: v for k, v in (params or {}).items() if v is not None}
        headers = {} if self._login else {"Authorization": f"Bearer {self.token()}"}
        if content_type:
            headers["Content-Type"] = content_type
        try:
            response = self._http.request(
                method, path, json=json, params=params, headers=headers, content=content, auth=self._login
            )
        except httpx.TransportError as exc:
            raise UnavailableError(f"cannot reach the lakebox server at {self.base_url}: {exc}") from exc
        if response.is_success:
            if not response.content:
                return None
            if response.headers.get("content-type", "").startswith("application/json"):
                return response.json()
            return response.content  # archives, Arrow streams
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text
        raise error_from_response(response.status_code, body) from httpx.HTTPStatusError(
            f"{method} {path} -> {response.status_code}", request=response.request, response=response
        )

    def close(self) -> None:
        self._http.close()
