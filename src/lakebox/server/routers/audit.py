"""``/api/v1/audit``: read and verify the workspace's audit log."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from lakebox.entities import AuditEntry, AuditOutcome, AuditVerification, Principal
from lakebox.security import actions
from lakebox.server.auth import require
from lakebox.server.context import get_context

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", response_model=list[AuditEntry], summary="List audit entries, newest first")
def list_audit_entries(
    request: Request,
    limit: int = Query(100, ge=1, le=1000),
    before_seq: int | None = Query(None, ge=1, description="Page backwards: only entries older than this one."),
    action: str | None = None,
    principal: str | None = Query(None, description="Identity name."),
    outcome: AuditOutcome | None = None,
    _: Principal = require(actions.AUDIT_READ),
) -> list[AuditEntry]:
    return get_context(request).stores.audit.list(
        limit=limit, before_seq=before_seq, action=action, principal=principal, outcome=outcome
    )


@router.get("/verify", response_model=AuditVerification, summary="Verify the hash chain of the audit log")
def verify_audit_log(request: Request, _: Principal = require(actions.AUDIT_READ)) -> AuditVerification:
    return get_context(request).stores.audit.verify()
