"""Authentication of every request, and the ``require(action)`` dependency each API route declares.

A request carries ``Authorization: Bearer <token>`` (SDK, CLI, MLflow clients) or the browser
session cookie that ``/login`` sets. The middleware resolves it to a :class:`Principal` before any
route or the MLflow app runs; anything else gets a 401 that says what was wrong.
"""

from __future__ import annotations

import base64
import binascii
from http.cookies import SimpleCookie
from typing import Any

import anyio
from fastapi import Depends
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lakebox.entities import Principal
from lakebox.errors import AuthenticationError, TooManyRequestsError
from lakebox.security.rate_limit import FailureLimiter
from lakebox.security.tokens import hash_token
from lakebox.server.context import ServerContext, get_context

SESSION_COOKIE = "lakebox_session"
OPEN_PATHS = frozenset({"/health", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})
# These authenticate by their own secret (a one-time code, X-IDENTITY-HEADER), not a bearer token.
SELF_AUTHENTICATING_PATHS = frozenset({"/login", "/msi/token"})
# SQL logins (name and password, HTTP Basic) authenticate here, as they do on a Synapse SQL endpoint.
WAREHOUSE_PREFIX = "/api/v1/warehouse/"


def bearer_token(headers: Headers) -> str | None:
    """The token of an ``Authorization: Bearer`` header, else of the session cookie."""
    authorization = headers.get("authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    cookie = SimpleCookie(headers.get("cookie", ""))
    if SESSION_COOKIE in cookie:
        return cookie[SESSION_COOKIE].value
    return None


def sql_login(headers: Headers, path: str) -> tuple[str, str] | None:
    """The name and password of ``Authorization: Basic``, accepted on the SQL warehouse's routes only."""
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic" or not path.startswith(WAREHOUSE_PREFIX):
        return None
    try:
        name, separator, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise AuthenticationError("the Basic credentials are not valid base64 of name:password") from None
    if not separator:
        raise AuthenticationError("the Basic credentials are not valid base64 of name:password")
    return name, password


class AuthMiddleware:
    """Puts the caller's principal in ``scope["state"]["principal"]`` or answers 401.

    Every 401 a client receives counts against it; past the limit it gets 429 with ``Retry-After``.
    """

    def __init__(self, app: ASGIApp, context: ServerContext, limiter: FailureLimiter) -> None:
        self.app = app
        self.context = context
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        if (wait := self.limiter.retry_after(client)) > 0:
            error = TooManyRequestsError(
                f"too many failed authentication attempts from {client}; retry in {wait:.0f}s",
                details={"retry_after": round(wait)},
            )
            limited = JSONResponse(
                error.to_dict(), status_code=error.status_code, headers={"Retry-After": str(max(1, round(wait)))}
            )
            await limited(scope, receive, send)
            return

        async def count_failures(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                self.limiter.record_failure(client)
            await send(message)

        if scope["path"] in SELF_AUTHENTICATING_PATHS:
            await self.app(scope, receive, count_failures)
            return
        await self._authenticate(scope, receive, count_failures)

    async def _authenticate(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        token = bearer_token(headers)
        try:
            if token is None and (login := sql_login(headers, scope["path"])) is not None:
                principal = await anyio.to_thread.run_sync(self.context.stores.identities.authenticate_password, *login)
            elif token is None:
                raise AuthenticationError(
                    "this call needs a bearer token: send 'Authorization: Bearer <token>' "
                    "(the SDK and CLI send the workspace owner's token; MLflow clients need MLFLOW_TRACKING_TOKEN)"
                )
            else:
                principal = await anyio.to_thread.run_sync(
                    self.context.stores.identities.authenticate, hash_token(token)
                )
        except AuthenticationError as exc:
            response = JSONResponse(exc.to_dict(), status_code=401, headers={"WWW-Authenticate": "Bearer"})
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


def require(action: str, *, scope: str | None = None, data: bool = False) -> Any:
    """Declare the action a route performs and check it before the route runs; returns the caller.

    ``scope`` names a resource inside the workspace with the route's path parameters
    (``"endpoints/{endpoint_name}"``); by default the check is at the workspace. ``data`` marks a
    data action (a secret's value, a datastore's bytes). The action is also what the audit records.
    """

    def dependency(request: Request) -> Principal:
        principal: Principal = request.scope["state"]["principal"]
        request.scope["state"]["action"] = action
        context = get_context(request)
        target = context.scope_of(scope.format(**request.path_params) if scope else None)
        context.authorizer.check(principal, action, target, data=data)
        return principal

    dependency.__name__ = f"require[{action}]"
    return Depends(dependency)
