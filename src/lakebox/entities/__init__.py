"""Typed objects shared by the server, the SDK and the CLI (pydantic models, validated at the edge)."""

from lakebox.entities.audit import AuditEntry, AuditOutcome, AuditVerification
from lakebox.entities.identity import Identity, IdentityKind, Principal
from lakebox.entities.workspace import Workspace, WorkspaceConfig, WorkspaceUpdate

__all__ = [
    "AuditEntry",
    "AuditOutcome",
    "AuditVerification",
    "Identity",
    "IdentityKind",
    "Principal",
    "Workspace",
    "WorkspaceConfig",
    "WorkspaceUpdate",
]
