"""``/api/v1/identities``: users and service principals, their API tokens, and browser sign-in."""

from __future__ import annotations

from datetime import datetime, timedelta

import anyio
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel
from starlette.responses import RedirectResponse

from lakebox.entities import CreatedToken, Identity, IdentityCreate, IdentityKind, Principal, TokenCreate, TokenInfo
from lakebox.errors import AuthenticationError, BadRequestError, ConflictError
from lakebox.security import actions
from lakebox.server.auth import SESSION_COOKIE, require
from lakebox.server.context import ServerContext, get_context
from lakebox.store.types import utcnow
from lakebox.workspace.defaults import SYSTEM_IDENTITY_NAME

router = APIRouter(tags=["identities"])
login_router = APIRouter(tags=["identities"])
BROWSER_SESSION_HOURS = 12


class BrowserCode(BaseModel):
    """A one-time code; opening ``login_path`` in a browser within ``expires_in`` seconds signs it in."""

    login_path: str
    expires_in: int


@router.get("/identities/me", response_model=Principal, summary="The calling identity")
def whoami(principal: Principal = require(actions.SELF_READ)) -> Principal:
    return principal


@router.get("/identities", response_model=list[Identity], summary="List identities")
def list_identities(request: Request, _: Principal = require(actions.IDENTITIES_READ)) -> list[Identity]:
    return get_context(request).stores.identities.all()


@router.post("/identities", response_model=Identity, status_code=201, summary="Create a user or service principal")
def create_identity(
    body: IdentityCreate, request: Request, _: Principal = require(actions.IDENTITIES_WRITE)
) -> Identity:
    if body.kind is IdentityKind.MANAGED_IDENTITY:
        raise BadRequestError(
            "managed identities are created by lakebox, not by hand; create a user or service_principal"
        )
    if body.kind is IdentityKind.SQL_LOGIN:
        raise BadRequestError("SQL logins need a password: create them with `lakebox sql-login create`")
    return get_context(request).stores.identities.create(body.name, body.kind)


@router.delete("/identities/{name}", status_code=204, summary="Delete an identity, its tokens and role assignments")
def delete_identity(name: str, request: Request, principal: Principal = require(actions.IDENTITIES_DELETE)) -> Response:
    context = get_context(request)
    identity = context.stores.identities.get_by_name(name)
    if identity.id == principal.identity_id:
        raise ConflictError("you cannot delete your own identity")
    if identity.name == SYSTEM_IDENTITY_NAME:
        raise ConflictError("the workspace's system-assigned identity cannot be deleted")
    for assignment in context.stores.authorization.assignments(principal_id=identity.id):
        context.stores.authorization.unassign(assignment.id)  # keeps the last-Owner guard
    context.stores.identities.delete(identity.id)
    return Response(status_code=204)


def _token_expiry(body: TokenCreate) -> datetime | None:
    return None if body.expires_in_days is None else utcnow() + timedelta(days=body.expires_in_days)


@router.post(
    "/identities/me/tokens", response_model=CreatedToken, status_code=201, summary="Create a token for yourself"
)
def create_own_token(
    body: TokenCreate, request: Request, principal: Principal = require(actions.SELF_TOKENS_WRITE)
) -> CreatedToken:
    return get_context(request).stores.identities.create_token(principal.identity_id, body.name, _token_expiry(body))


@router.post(
    "/identities/{name}/tokens", response_model=CreatedToken, status_code=201, summary="Create a token for an identity"
)
def create_token(
    name: str, body: TokenCreate, request: Request, _: Principal = require(actions.IDENTITIES_WRITE)
) -> CreatedToken:
    stores = get_context(request).stores
    identity = _manageable(get_context(request), name)
    return stores.identities.create_token(identity.id, body.name, _token_expiry(body))


@router.get(
    "/identities/{name}/tokens", response_model=list[TokenInfo], summary="List an identity's tokens (no values)"
)
def list_tokens(name: str, request: Request, _: Principal = require(actions.IDENTITIES_READ)) -> list[TokenInfo]:
    stores = get_context(request).stores
    return stores.identities.tokens(stores.identities.get_by_name(name).id)


@router.delete("/identities/{name}/tokens/{token_id}", response_model=TokenInfo, summary="Revoke a token at once")
def revoke_token(
    name: str, token_id: str, request: Request, _: Principal = require(actions.IDENTITIES_WRITE)
) -> TokenInfo:
    stores = get_context(request).stores
    return stores.identities.revoke_token(stores.identities.get_by_name(name).id, token_id)


def _manageable(context: ServerContext, name: str) -> Identity:
    identity = context.stores.identities.get_by_name(name)
    if identity.kind is IdentityKind.MANAGED_IDENTITY:
        raise BadRequestError("managed identities get short-lived tokens from their process, not API tokens")
    return identity


@router.post("/auth/browser-codes", response_model=BrowserCode, status_code=201, summary="Sign a browser in")
def create_browser_code(
    request: Request,
    next: str = Query("/mlflow/", description="Path to open after signing in."),
    principal: Principal = require(actions.SELF_BROWSER_SESSIONS_WRITE),
) -> BrowserCode:
    _check_local_path(next)
    context = get_context(request)
    code = context.browser_codes.issue(principal.identity_id)
    return BrowserCode(login_path=f"/login?code={code}&next={next}", expires_in=int(context.browser_codes.ttl_seconds))


@login_router.get("/login", include_in_schema=False)
async def login(request: Request, code: str, next: str = "/mlflow/") -> RedirectResponse:
    _check_local_path(next)
    context = get_context(request)
    request.scope.setdefault("state", {})["force_audit"] = True
    request.scope["state"]["action"] = actions.SELF_BROWSER_SESSIONS_WRITE
    identity_id = context.browser_codes.redeem(code)
    if identity_id is None:
        raise AuthenticationError("this sign-in link is unknown, used or expired; run `lakebox server ui` again")
    identity = await anyio.to_thread.run_sync(context.stores.identities.get, identity_id)
    request.scope["state"]["principal"] = Principal(
        identity_id=identity.id, name=identity.name, kind=identity.kind, token_id="browser-code"
    )
    expires_at = utcnow() + timedelta(hours=BROWSER_SESSION_HOURS)
    token = await anyio.to_thread.run_sync(
        lambda: context.stores.identities.issue_token(identity_id, "browser session", expires_at)
    )
    response = RedirectResponse(next, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=BROWSER_SESSION_HOURS * 3600,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


def _check_local_path(path: str) -> None:
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        raise BadRequestError("next must be a path on this server, such as /mlflow/")
