"""The append-only, hash-chained audit log.

Each entry's ``hash`` is an HMAC-SHA256 over its canonical JSON including ``prev_hash``, the hash
of the entry before it (64 zeros for the first). The HMAC key lives in the workspace folder, not in
the database, so write access to the database alone cannot forge a consistent chain. The
``audit_head`` row holds the last link, so appends serialise on it and a removed tail is caught as
surely as an altered or deleted row.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select

from lakebox.entities import AuditEntry, AuditOutcome, AuditVerification
from lakebox.store.db import Database
from lakebox.store.models import AuditEntryRow, AuditHeadRow
from lakebox.store.types import utcnow

GENESIS_HASH = "0" * 64
_VERIFY_BATCH = 1000


def entry_hash(
    key: bytes,
    *,
    seq: int,
    recorded_at: datetime,
    principal_id: str | None,
    principal_name: str,
    action: str,
    target: str,
    outcome: str,
    status_code: int,
    details: dict[str, Any],
    prev_hash: str,
) -> str:
    canonical = json.dumps(
        {
            "seq": seq,
            "recorded_at": recorded_at.isoformat(),
            "principal_id": principal_id,
            "principal_name": principal_name,
            "action": action,
            "target": target,
            "outcome": outcome,
            "status_code": status_code,
            "details": details,
            "prev_hash": prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def _row_hash(key: bytes, row: AuditEntryRow) -> str:
    return entry_hash(
        key,
        seq=row.seq,
        recorded_at=row.recorded_at,
        principal_id=row.principal_id,
        principal_name=row.principal_name,
        action=row.action,
        target=row.target,
        outcome=row.outcome,
        status_code=row.status_code,
        details=row.details or {},
        prev_hash=row.prev_hash,
    )


class AuditStore:
    def __init__(self, db: Database, key: bytes) -> None:
        self._db = db
        self._key = key

    def append(
        self,
        *,
        principal_id: str | None,
        principal_name: str,
        action: str,
        target: str,
        outcome: AuditOutcome,
        status_code: int,
        details: dict[str, Any] | None = None,
    ) -> AuditEntry:
        details = details or {}
        with self._db.write_lock, self._db.session() as session:
            head = session.scalar(select(AuditHeadRow).where(AuditHeadRow.id == 1).with_for_update())
            if head is None:
                head = AuditHeadRow(id=1, seq=0, hash=GENESIS_HASH)
                session.add(head)
            # Microsecond precision survives both SQLite and PostgreSQL, so the hash re-computes.
            recorded_at = utcnow()
            fields: dict[str, Any] = dict(
                seq=head.seq + 1,
                recorded_at=recorded_at,
                principal_id=principal_id,
                principal_name=principal_name,
                action=action,
                target=target,
                outcome=outcome.value,
                status_code=status_code,
                details=details,
                prev_hash=head.hash,
            )
            row = AuditEntryRow(**fields, hash=entry_hash(self._key, **fields))
            session.add(row)
            head.seq, head.hash = row.seq, row.hash
            session.flush()
            return row.to_entity()

    def list(
        self,
        *,
        limit: int = 100,
        before_seq: int | None = None,
        action: str | None = None,
        principal: str | None = None,
        outcome: AuditOutcome | None = None,
    ) -> list[AuditEntry]:
        """Newest first; page backwards with ``before_seq``."""
        query = select(AuditEntryRow).order_by(AuditEntryRow.seq.desc()).limit(limit)
        if before_seq is not None:
            query = query.where(AuditEntryRow.seq < before_seq)
        if action is not None:
            query = query.where(AuditEntryRow.action == action)
        if principal is not None:
            query = query.where(AuditEntryRow.principal_name == principal)
        if outcome is not None:
            query = query.where(AuditEntryRow.outcome == outcome.value)
        with self._db.session() as session:
            return [row.to_entity() for row in session.scalars(query)]

    def verify(self) -> AuditVerification:
        """Walk the chain from the first entry; name the first entry that does not hold."""
        expected_prev, expected_seq, checked = GENESIS_HASH, 1, 0
        with self._db.session() as session:
            head = session.get(AuditHeadRow, 1)
            while True:
                batch = session.scalars(
                    select(AuditEntryRow)
                    .where(AuditEntryRow.seq >= expected_seq)
                    .order_by(AuditEntryRow.seq)
                    .limit(_VERIFY_BATCH)
                ).all()
                for row in batch:
                    problem = self._check_link(row, expected_seq, expected_prev)
                    if problem is not None:
                        bad_seq, reason = problem
                        return AuditVerification(
                            ok=False, entries_checked=checked, first_bad_seq=bad_seq, reason=reason
                        )
                    expected_prev, expected_seq, checked = row.hash, row.seq + 1, checked + 1
                if len(batch) < _VERIFY_BATCH:
                    break
        head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
        if (head_seq, head_hash) != (expected_seq - 1, expected_prev):
            return AuditVerification(
                ok=False,
                entries_checked=checked,
                first_bad_seq=expected_seq,
                reason=f"the chain ends at entry {expected_seq - 1} but its head records entry {head_seq}: "
                "entries were removed from the end",
            )
        return AuditVerification(ok=True, entries_checked=checked)

    def _check_link(self, row: AuditEntryRow, expected_seq: int, expected_prev: str) -> tuple[int, str] | None:
        """``(first bad seq, why)`` when ``row`` breaks the chain, else ``None``."""
        if row.seq != expected_seq:
            return expected_seq, f"entry {expected_seq} is missing (the next stored entry is {row.seq})"
        if _row_hash(self._key, row) != row.hash:
            return row.seq, f"entry {row.seq} was altered after it was recorded"
        if row.prev_hash != expected_prev:
            # This row is intact, so the one before it was rewritten, hash and all.
            return (
                row.seq - 1,
                f"entry {row.seq - 1} was rewritten: entry {row.seq} recorded another hash for it",
            )
        return None
