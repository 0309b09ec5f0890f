"""SQLAlchemy models of the metadata database. Each has ``to_entity()``; rows stay in ``store``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lakebox.entities import AuditEntry, AuditOutcome, Identity, IdentityKind, Workspace
from lakebox.store.types import UTCDateTime, utcnow


class Base(DeclarativeBase):
    pass


class WorkspaceRow(Base):
    __tablename__ = "workspace"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(90))
    subscription_id: Mapped[str] = mapped_column(String(90))
    resource_group: Mapped[str] = mapped_column(String(90))
    description: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def to_entity(self) -> Workspace:
        return Workspace(
            id=self.id,
            name=self.name,
            subscription_id=self.subscription_id,
            resource_group=self.resource_group,
            description=self.description,
            tags=dict(self.tags or {}),
            created_at=self.created_at,
            updated_at=self.updated_at,
        )


class IdentityRow(Base):
    __tablename__ = "identities"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def to_entity(self) -> Identity:
        return Identity(id=self.id, name=self.name, kind=IdentityKind(self.kind), created_at=self.created_at)


class ApiTokenRow(Base):
    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    identity_id: Mapped[str] = mapped_column(ForeignKey("identities.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEntryRow(Base):
    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    principal_id: Mapped[str | None] = mapped_column(String(36))
    principal_name: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(256), index=True)
    target: Mapped[str] = mapped_column(String(1024))
    outcome: Mapped[str] = mapped_column(String(16))
    status_code: Mapped[int] = mapped_column(Integer)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def to_entity(self) -> AuditEntry:
        return AuditEntry(
            seq=self.seq,
            recorded_at=self.recorded_at,
            principal_id=self.principal_id,
            principal_name=self.principal_name,
            action=self.action,
            target=self.target,
            outcome=AuditOutcome(self.outcome),
            status_code=self.status_code,
            details=dict(self.details or {}),
            prev_hash=self.prev_hash,
            hash=self.hash,
        )


class AuditHeadRow(Base):
    """The chain's last link, kept apart so a truncated tail is detected and appends serialise."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
