"""SQLAlchemy models of the metadata database. Each has ``to_entity()``; rows stay in ``store``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lakebox.entities import (
    AuditEntry,
    AuditOutcome,
    ComputeCluster,
    Data,
    Datastore,
    Environment,
    Identity,
    IdentityKind,
    Job,
    JobOutput,
    JobStatus,
    RoleAssignment,
    RoleDefinition,
    SecretProperties,
    TokenInfo,
    Vault,
    Workspace,
)
from lakebox.entities.pipeline import ActivityRun, ActivityStatus, PipelineRun, PipelineRunStatus
from lakebox.entities.schedule import ScheduleFire
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


class PasswordRow(Base):
    """The password hash of a SQL login (see ``lakebox.security.passwords``)."""

    __tablename__ = "passwords"

    identity_id: Mapped[str] = mapped_column(ForeignKey("identities.id", ondelete="CASCADE"), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


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
    grant_id: Mapped[str | None] = mapped_column(
        ForeignKey("identity_grants.id", ondelete="CASCADE", name="fk_api_tokens_grant_id"), index=True
    )

    def to_entity(self) -> TokenInfo:
        return TokenInfo(
            id=self.id,
            name=self.name,
            prefix=self.prefix,
            created_at=self.created_at,
            expires_at=self.expires_at,
            revoked_at=self.revoked_at,
        )


class IdentityGrantRow(Base):
    """A process (job, deployment worker) allowed to mint short-lived tokens for an identity until revoked."""

    __tablename__ = "identity_grants"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    identity_id: Mapped[str] = mapped_column(ForeignKey("identities.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(256))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RoleAssignmentRow(Base):
    __tablename__ = "role_assignments"
    __table_args__ = (UniqueConstraint("principal_id", "role", "scope"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    principal_id: Mapped[str] = mapped_column(ForeignKey("identities.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(128))
    scope: Mapped[str] = mapped_column(String(1024))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def to_entity(self, principal_name: str) -> RoleAssignment:
        return RoleAssignment(
            id=self.id,
            principal_id=self.principal_id,
            principal_name=principal_name,
            role=self.role,
            scope=self.scope,
            created_at=self.created_at,
        )


class CustomRoleRow(Base):
    __tablename__ = "custom_roles"

    name_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)

    def to_entity(self) -> RoleDefinition:
        return RoleDefinition.model_validate(self.definition)


class ComputeRow(Base):
    __tablename__ = "computes"

    name_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def to_entity(self) -> ComputeCluster:
        return ComputeCluster.model_validate(
            {**self.spec, "provisioning_state": "Succeeded", "created_at": self.created_at}
        )


class DatastoreRow(Base):
    __tablename__ = "datastores"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def to_entity(self) -> Datastore:
        return Datastore.model_validate({**self.spec, "name": self.name})


class SpecRow(Base):
    """A named entity of some ``kind`` (connection, linked service) stored as its JSON spec."""

    __tablename__ = "specs"

    kind: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class EnvironmentRow(Base):
    __tablename__ = "environments"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def to_entity(self) -> Environment:
        return Environment.model_validate({**self.spec, "name": self.name, "version": self.version})


class VaultRow(Base):
    __tablename__ = "vaults"

    name_key: Mapped[str] = mapped_column(String(24), primary_key=True)
    name: Mapped[str] = mapped_column(String(24))
    description: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def to_entity(self) -> Vault:
        tags = dict(self.tags or {})
        return Vault(name=self.name, description=self.description, tags=tags, created_on=self.created_at)


class SecretRow(Base):
    """One version of a secret: its value sealed with AES-GCM (see ``lakebox.vault.crypto``)."""

    __tablename__ = "secrets"

    vault_key: Mapped[str] = mapped_column(ForeignKey("vaults.name_key", ondelete="CASCADE"), primary_key=True)
    name_key: Mapped[str] = mapped_column(String(127), primary_key=True)
    version: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(127))
    key_id: Mapped[str] = mapped_column(String(16))
    nonce: Mapped[bytes] = mapped_column(LargeBinary)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    content_type: Mapped[str | None] = mapped_column(String(255))
    tags: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(255))

    def to_entity(self, vault_name: str) -> SecretProperties:
        return SecretProperties(
            vault_name=vault_name,
            name=self.name,
            version=self.version,
            enabled=self.enabled,
            content_type=self.content_type,
            tags=dict(self.tags or {}),
            created_on=self.created_at,
            created_by=self.created_by,
        )


class DataAssetRow(Base):
    __tablename__ = "data_assets"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def to_entity(self) -> Data:
        return Data.model_validate(
            {**self.spec, "name": self.name, "version": self.version, "created_at": self.created_at}
        )


class JobRow(Base):
    __tablename__ = "jobs"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), index=True)
    compute: Mapped[str] = mapped_column(String(64))
    environment: Mapped[str] = mapped_column(String(128))
    command: Mapped[str] = mapped_column(Text)
    experiment_name: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    pid: Mapped[int | None] = mapped_column(Integer)
    grant_id: Mapped[str | None] = mapped_column(String(36))
    mlflow_run_id: Mapped[str | None] = mapped_column(String(64))
    mlflow_experiment_id: Mapped[str | None] = mapped_column(String(64))
    outputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    job_type: Mapped[str] = mapped_column(String(16), default="command")
    parent_job_name: Mapped[str | None] = mapped_column(String(255), index=True)
    properties: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)

    def to_entity(self) -> Job:
        return Job(
            name=self.name,
            type=self.job_type,  # type: ignore[arg-type]
            parent_job_name=self.parent_job_name,
            properties=dict(self.properties or {}),
            display_name=self.spec.get("display_name"),
            experiment_name=self.experiment_name,
            status=JobStatus(self.status),
            command=self.command,
            compute=self.compute,
            environment=self.environment,
            created_at=self.created_at,
            started_at=self.started_at,
            ended_at=self.ended_at,
            error=self.error,
            outputs={name: JobOutput.model_validate(out) for name, out in (self.outputs or {}).items()},
            mlflow_run_id=self.mlflow_run_id,
            mlflow_experiment_id=self.mlflow_experiment_id,
            tags=dict(self.spec.get("tags") or {}),
            description=self.spec.get("description"),
        )


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


class PipelineRunRow(Base):
    __tablename__ = "pipeline_runs"

    run_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    pipeline_name: Mapped[str] = mapped_column(String(260), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    variables: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    message: Mapped[str] = mapped_column(Text, default="")
    invoked_by: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    run_group_id: Mapped[str] = mapped_column(String(36))
    rerun_of: Mapped[str | None] = mapped_column(String(36))
    parent_run_id: Mapped[str | None] = mapped_column(String(36))
    output: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    run_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    run_end: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def to_entity(self) -> PipelineRun:
        return PipelineRun(
            run_id=self.run_id,
            pipeline_name=self.pipeline_name,
            status=PipelineRunStatus(self.status),
            parameters=dict(self.parameters or {}),
            message=self.message or "",
            invoked_by=dict(self.invoked_by or {}),
            run_group_id=self.run_group_id,
            rerun_of=self.rerun_of,
            parent_run_id=self.parent_run_id,
            output=dict(self.output or {}),
            run_start=self.run_start,
            run_end=self.run_end,
            duration_ms=_duration_ms(self.run_start, self.run_end),
        )


class ActivityRunRow(Base):
    __tablename__ = "activity_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("pipeline_runs.run_id", ondelete="CASCADE"), index=True)
    activity_name: Mapped[str] = mapped_column(String(260))
    activity_type: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    input: Mapped[Any] = mapped_column(JSON, nullable=True)
    output: Mapped[Any] = mapped_column(JSON, nullable=True)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    run_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    run_end: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def to_entity(self) -> ActivityRun:
        return ActivityRun(
            run_id=self.run_id,
            activity_name=self.activity_name,
            activity_type=self.activity_type,
            path=self.path or "",
            status=ActivityStatus(self.status),
            attempt=self.attempt,
            input=self.input,
            output=self.output,
            error=self.error,
            run_start=self.run_start,
            run_end=self.run_end,
            duration_ms=_duration_ms(self.run_start, self.run_end),
        )


def _duration_ms(start: datetime | None, end: datetime | None) -> int | None:
    return int((end - start).total_seconds() * 1000) if start and end else None


class ScheduleFireRow(Base):
    """One fire of a schedule or trigger; ``key`` tells apart fires of one time (a storage event's file)."""

    __tablename__ = "schedule_fires"
    __table_args__ = (
        UniqueConstraint("source", "name", "scheduled_time", "key", name="uq_schedule_fire"),
        Index("ix_schedule_fires_name", "source", "name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(260))
    scheduled_time: Mapped[datetime] = mapped_column(UTCDateTime)
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    target: Mapped[str | None] = mapped_column(String(260))
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    missed: Mapped[int] = mapped_column(Integer, default=0)
    key: Mapped[str] = mapped_column(String(512), default="")
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    outputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    def to_entity(self) -> ScheduleFire:
        return ScheduleFire(
            source=self.source,  # type: ignore[arg-type]
            name=self.name,
            scheduled_time=self.scheduled_time,
            fired_at=self.fired_at,
            target=self.target,
            status=self.status,
            error=self.error,
            missed=self.missed,
            key=self.key,
            attempt=self.attempt,
            outputs=dict(self.outputs or {}),
        )
