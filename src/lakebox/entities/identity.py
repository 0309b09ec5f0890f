"""Identities (users, service principals, managed identities) and the principal behind a request."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel


class IdentityKind(StrEnum):
    USER = "user"
    SERVICE_PRINCIPAL = "service_principal"
    MANAGED_IDENTITY = "managed_identity"


class Identity(BaseModel):
    id: str
    name: str
    kind: IdentityKind
    created_at: datetime


class Principal(BaseModel):
    """Who is calling: the identity a valid token belongs to, and which token it was."""

    identity_id: str
    name: str
    kind: IdentityKind
    token_id: str
