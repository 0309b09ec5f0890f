"""Identities and their API tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select

from lakebox.entities import Identity, IdentityKind, Principal
from lakebox.errors import AuthenticationError, NotFoundError
from lakebox.security.tokens import mint_token
from lakebox.store.db import Database
from lakebox.store.models import ApiTokenRow, IdentityRow
from lakebox.store.types import utcnow


class IdentityStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create(self, name: str, kind: IdentityKind) -> Identity:
        with self._db.write_lock, self._db.session() as session:
            row = IdentityRow(id=str(uuid.uuid4()), name=name, kind=kind.value)
            session.add(row)
            session.flush()
            return row.to_entity()

    def get(self, identity_id: str) -> Identity:
        with self._db.session() as session:
            row = session.get(IdentityRow, identity_id)
            if row is None:
                raise NotFoundError(f"identity {identity_id!r} not found")
            return row.to_entity()

    def get_by_name(self, name: str) -> Identity:
        with self._db.session() as session:
            row = session.scalar(select(IdentityRow).where(IdentityRow.name == name))
            if row is None:
                raise NotFoundError(f"identity {name!r} not found")
            return row.to_entity()

    def issue_token(self, identity_id: str, name: str, expires_at: datetime | None = None) -> str:
        """Mint a token for an identity; the returned value is the only copy that will ever exist."""
        token = mint_token()
        with self._db.write_lock, self._db.session() as session:
            session.add(
                ApiTokenRow(
                    id=str(uuid.uuid4()),
                    identity_id=identity_id,
                    name=name,
                    prefix=token.prefix,
                    token_hash=token.digest,
                    expires_at=expires_at,
                )
            )
        return token.value

    def authenticate(self, token_digest: str) -> Principal:
        """The principal whose live token hashes to ``token_digest``; 401 for anything else."""
        with self._db.session() as session:
            found = session.execute(
                select(ApiTokenRow, IdentityRow)
                .join(IdentityRow, IdentityRow.id == ApiTokenRow.identity_id)
                .where(ApiTokenRow.token_hash == token_digest)
            ).one_or_none()
        if found is None:
            raise AuthenticationError("the bearer token is not valid for this workspace")
        token, identity = found
        if token.revoked_at is not None:
            raise AuthenticationError("the bearer token has been revoked")
        if token.expires_at is not None and token.expires_at <= utcnow():
            raise AuthenticationError("the bearer token has expired")
        return Principal(
            identity_id=identity.id, name=identity.name, kind=IdentityKind(identity.kind), token_id=token.id
        )
