"""Typed objects shared by the server, the SDK and the CLI (pydantic models, validated at the edge)."""

from lakebox.entities.audit import AuditEntry, AuditOutcome, AuditVerification
from lakebox.entities.authorization import RoleAssignment, RoleAssignmentCreate, RoleDefinition
from lakebox.entities.compute import ComputeCluster
from lakebox.entities.identity import (
    CreatedToken,
    Identity,
    IdentityCreate,
    IdentityKind,
    Principal,
    TokenCreate,
    TokenInfo,
)
from lakebox.entities.workspace import Workspace, WorkspaceConfig, WorkspaceUpdate

__all__ = [
    "AuditEntry",
    "AuditOutcome",
    "AuditVerification",
    "ComputeCluster",
    "CreatedToken",
    "Identity",
    "IdentityCreate",
    "IdentityKind",
    "Principal",
    "RoleAssignment",
    "RoleAssignmentCreate",
    "RoleDefinition",
    "TokenCreate",
    "TokenInfo",
    "Workspace",
    "WorkspaceConfig",
    "WorkspaceUpdate",
]
