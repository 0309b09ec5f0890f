"""Identities (users, service principals, managed identities) and the principal behind a request."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class IdentityKind(StrEnum):
    USER = "user"
    SERVICE_PRINCIPAL = "service_principal"
    MANAGED_IDENTITY = "managed_identity"
    SQL_LOGIN = "sql_login"  # a name and password for the SQL warehouse only


class Identity(BaseModel):
    id: str
    name: str
    kind: IdentityKind
    created_at: datetime


class IdentityCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$")
    kind: IdentityKind = IdentityKind.USER


class TokenInfo(BaseModel):
    """A token as listed: never its value, which is shown once at creation."""

    id: str
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="api", min_length=1, max_length=128)
    expires_in_days: float | None = Field(default=90, gt=0, le=3650, description="null: never expires")


class CreatedToken(TokenInfo):
    token: str = Field(description="The token itself. It is shown this once and cannot be retrieved again.")


class Principal(BaseModel):
    """Who is calling: the identity a valid token belongs to, and which token it was."""

    identity_id: str
    name: str
    kind: IdentityKind
    token_id: str
