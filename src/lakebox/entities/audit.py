"""Audit log entries and the result of verifying their hash chain."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class AuditOutcome(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    DENIED = "denied"


class AuditEntry(BaseModel):
    """One link of the append-only audit chain: who did what to which target, when, and how it ended."""

    seq: int
    recorded_at: datetime
    principal_id: str | None
    principal_name: str
    action: str
    target: str
    outcome: AuditOutcome
    status_code: int
    details: dict[str, Any] = Field(default_factory=dict)
    prev_hash: str
    hash: str


class AuditVerification(BaseModel):
    """``ok`` when every link hashes to what it claims and follows the one before it."""

    ok: bool
    entries_checked: int
    first_bad_seq: int | None = None
    reason: str | None = None
