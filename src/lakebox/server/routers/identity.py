"""``/api/v1/identities/me`` and browser login: who is calling, and how a browser gets a session."""

from __future__ import annotations

from datetime import timedelta

import anyio
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from starlette.responses import RedirectResponse

from lakebox.entities import Principal
from lakebox.errors import AuthenticationError, BadRequestError
from lakebox.server.auth import SESSION_COOKIE, require
from lakebox.server.context import get_context
from lakebox.store.types import utcnow

router = APIRouter(tags=["identity"])
login_router = APIRouter(tags=["identity"])
BROWSER_SESSION_HOURS = 12


class BrowserCode(BaseModel):
    """A one-time code; opening ``login_path`` in a browser within ``expires_in`` seconds signs it in."""

    login_path: str
    expires_in: int


@router.get("/identities/me", response_model=Principal, summary="The calling identity")
def whoami(principal: Principal = require("identities/me/read")) -> Principal:
    return principal


@router.post("/auth/browser-codes", response_model=BrowserCode, status_code=201, summary="Sign a browser in")
def create_browser_code(
    request: Request,
    next: str = Query("/mlflow/", description="Path to open after signing in."),
    principal: Principal = require("auth/browser-codes/write"),
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
    request.scope["state"]["action"] = "auth/browser-sessions/write"
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
