"""``/msi/token``: the managed identity endpoint that jobs and deployment workers reach through
``IDENTITY_ENDPOINT``, authenticated by their ``IDENTITY_HEADER`` (the App Service protocol)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Header, Query, Request
from pydantic import BaseModel, Field

from lakebox.entities import Principal
from lakebox.server.context import get_context
from lakebox.store.types import utcnow

router = APIRouter(tags=["managed identity"])
MANAGED_TOKEN_ACTION = "lakebox/identities/managed/token/action"
TOKEN_LIFETIME = timedelta(minutes=15)


class ManagedIdentityToken(BaseModel):
    access_token: str
    expires_on: str = Field(description="Unix seconds, as a string (as Azure sends it).")
    resource: str
    token_type: str = "Bearer"
    client_id: str


@router.get(
    "/msi/token", response_model=ManagedIdentityToken, summary="A short-lived token for this process's identity"
)
def managed_identity_token(
    request: Request,
    resource: str = Query(..., description="The audience asked for; lakebox tokens serve every resource."),
    api_version: str = Query("2019-08-01", alias="api-version"),
    x_identity_header: str = Header(..., alias="X-IDENTITY-HEADER"),
) -> ManagedIdentityToken:
    stores = get_context(request).stores
    identity, grant_id = stores.identities.redeem_grant(x_identity_header)
    state = request.scope.setdefault("state", {})
    state["principal"] = Principal(identity_id=identity.id, name=identity.name, kind=identity.kind, token_id=grant_id)
    state["action"], state["force_audit"] = MANAGED_TOKEN_ACTION, True
    expires_at = utcnow() + TOKEN_LIFETIME
    token = stores.identities.issue_token(identity.id, "managed identity", expires_at, grant_id=grant_id)
    return ManagedIdentityToken(
        access_token=token, expires_on=str(int(expires_at.timestamp())), resource=resource, client_id=identity.id
    )
