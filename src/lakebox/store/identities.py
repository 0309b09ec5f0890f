"""Identities and their API tokens."""

from __future__ import annotations

import functools
import uuid
from datetime import datetime

from sqlalchemy import select

from lakebox.entities import CreatedToken, Identity, IdentityKind, Principal, TokenInfo
from lakebox.errors import AuthenticationError, BadRequestError, NotFoundError, ValidationError
from lakebox.security.passwords import MIN_PASSWORD_LENGTH, hash_password, verify_password
from lakebox.security.tokens import hash_token, mint_secret, mint_token
from lakebox.store.db import Database
from lakebox.store.models import ApiTokenRow, IdentityGrantRow, IdentityRow, PasswordRow
from lakebox.store.types import utcnow


@functools.cache
def _dummy_hash() -> str:
    return hash_password("lakebox-no-such-login")


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

    def token_holder(self, token_name: str) -> Identity:
        """The identity of the oldest token named ``token_name``."""
        with self._db.session() as session:
            row = session.scalar(
                select(IdentityRow)
                .join(ApiTokenRow, ApiTokenRow.identity_id == IdentityRow.id)
                .where(ApiTokenRow.name == token_name)
                .order_by(ApiTokenRow.created_at)
            )
            if row is None:
                raise NotFoundError(f"no identity holds a token named {token_name!r}")
            return row.to_entity()

    def get_by_name(self, name: str) -> Identity:
        with self._db.session() as session:
            row = session.scalar(select(IdentityRow).where(IdentityRow.name == name))
            if row is None:
                raise NotFoundError(f"identity {name!r} not found")
            return row.to_entity()

    def all(self) -> list[Identity]:
        with self._db.session() as session:
            return [row.to_entity() for row in session.scalars(select(IdentityRow).order_by(IdentityRow.name))]

    def delete(self, identity_id: str) -> None:
        """Delete an identity with its tokens, grants and role assignments."""
        with self._db.write_lock, self._db.session() as session:
            row = session.get(IdentityRow, identity_id)
            if row is None:
                raise NotFoundError(f"identity {identity_id!r} not found")
            session.delete(row)

    def issue_token(
        self, identity_id: str, name: str, expires_at: datetime | None = None, *, grant_id: str | None = None
    ) -> str:
        """Mint a token for an identity; the returned value is the only copy that will ever exist."""
        return self.create_token(identity_id, name, expires_at, grant_id=grant_id).token

    def create_token(
        self, identity_id: str, name: str, expires_at: datetime | None = None, *, grant_id: str | None = None
    ) -> CreatedToken:
        token = mint_token()
        with self._db.write_lock, self._db.session() as session:
            row = ApiTokenRow(
                id=str(uuid.uuid4()),
                identity_id=identity_id,
                name=name,
                prefix=token.prefix,
                token_hash=token.digest,
                expires_at=expires_at,
                grant_id=grant_id,
            )
            session.add(row)
            session.flush()
            return CreatedToken(**row.to_entity().model_dump(), token=token.value)

    def tokens(self, identity_id: str) -> list[TokenInfo]:
        """An identity's tokens, without their values; process-grant tokens are not listed."""
        query = (
            select(ApiTokenRow)
            .where(ApiTokenRow.identity_id == identity_id, ApiTokenRow.grant_id.is_(None))
            .order_by(ApiTokenRow.created_at)
        )
        with self._db.session() as session:
            return [row.to_entity() for row in session.scalars(query)]

    def revoke_token(self, identity_id: str, token_id: str) -> TokenInfo:
        """Revoke at once: the next request with it gets 401."""
        with self._db.write_lock, self._db.session() as session:
            row = session.get(ApiTokenRow, token_id)
            if row is None or row.identity_id != identity_id:
                raise NotFoundError(f"token {token_id!r} not found for this identity")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
            session.flush()
            return row.to_entity()

    def grant_process_identity(self, identity_id: str, purpose: str) -> tuple[str, str]:
        """Let one process (a job, a deployment worker) mint tokens for an identity, until revoked.

        Returns ``(grant id, secret)``; the secret is the process's ``IDENTITY_HEADER``.
        """
        secret = mint_secret()
        with self._db.write_lock, self._db.session() as session:
            row = IdentityGrantRow(
                id=str(uuid.uuid4()), identity_id=identity_id, purpose=purpose, secret_hash=hash_token(secret)
            )
            session.add(row)
            session.flush()
            return row.id, secret

    def redeem_grant(self, secret: str) -> tuple[Identity, str]:
        """The identity and grant id behind a live grant secret; 401 otherwise."""
        with self._db.session() as session:
            grant = session.scalar(select(IdentityGrantRow).where(IdentityGrantRow.secret_hash == hash_token(secret)))
            if grant is None or grant.revoked_at is not None:
                raise AuthenticationError("the identity header is not valid (its process has finished?)")
            identity = session.get(IdentityRow, grant.identity_id)
            assert identity is not None
            return identity.to_entity(), grant.id

    def revoke_grant(self, grant_id: str) -> None:
        """End a process's identity: its header and every token minted with it stop working at once."""
        with self._db.write_lock, self._db.session() as session:
            grant = session.get(IdentityGrantRow, grant_id)
            if grant is None:
                raise NotFoundError(f"identity grant {grant_id!r} not found")
            grant.revoked_at = grant.revoked_at or utcnow()

    def set_password(self, identity_id: str, password: str) -> None:
        """Set (or change) the password of a SQL login."""
        if len(password) < MIN_PASSWORD_LENGTH:
            raise ValidationError(f"a SQL login password needs at least {MIN_PASSWORD_LENGTH} characters")
        with self._db.write_lock, self._db.session() as session:
            identity = session.get(IdentityRow, identity_id)
            if identity is None or identity.kind != IdentityKind.SQL_LOGIN:
                raise BadRequestError("only SQL logins have passwords")
            row = session.get(PasswordRow, identity_id)
            if row is None:
                session.add(PasswordRow(identity_id=identity_id, password_hash=hash_password(password)))
            else:
                row.password_hash = hash_password(password)

    def authenticate_password(self, name: str, password: str) -> Principal:
        """The SQL login ``name`` if ``password`` is its password; one 401 message for every failure."""
        with self._db.session() as session:
            found = session.execute(
                select(IdentityRow, PasswordRow.password_hash)
                .join(PasswordRow, PasswordRow.identity_id == IdentityRow.id)
                .where(IdentityRow.name == name)
            ).one_or_none()
        # Hash even for unknown logins, so timing does not tell which logins exist.
        stored = found[1] if found is not None else _dummy_hash()
        if not verify_password(password, stored) or found is None:
            raise AuthenticationError(f"login failed for SQL login {name!r}: wrong name or password")
        identity = found[0]
        return Principal(identity_id=identity.id, name=identity.name, kind=IdentityKind.SQL_LOGIN, token_id="password")

    def authenticate(self, token_digest: str) -> Principal:
        """The principal whose live token hashes to ``token_digest``; 401 for anything else."""
        with self._db.session() as session:
            found = session.execute(
                select(ApiTokenRow, IdentityRow, IdentityGrantRow.revoked_at)
                .join(IdentityRow, IdentityRow.id == ApiTokenRow.identity_id)
                .outerjoin(IdentityGrantRow, IdentityGrantRow.id == ApiTokenRow.grant_id)
                .where(ApiTokenRow.token_hash == token_digest)
            ).one_or_none()
        if found is None:
            raise AuthenticationError("the bearer token is not valid for this workspace")
        token, identity, grant_revoked_at = found
        if token.revoked_at is not None:
            raise AuthenticationError("the bearer token has been revoked")
        if grant_revoked_at is not None:
            raise AuthenticationError("the bearer token belonged to a process that has finished")
        if token.expires_at is not None and token.expires_at <= utcnow():
            raise AuthenticationError("the bearer token has expired")
        return Principal(
            identity_id=identity.id, name=identity.name, kind=IdentityKind(identity.kind), token_id=token.id
        )
