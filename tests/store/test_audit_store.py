"""The audit chain detects altered, rewritten, deleted and truncated entries, and names the first."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from lakebox.entities import AuditOutcome
from lakebox.store.audit import AuditStore, entry_hash
from lakebox.store.stores import Stores

KEY = b"k" * 32


@pytest.fixture
def stores(tmp_path: Path) -> Stores:
    stores = Stores.open(f"sqlite:///{tmp_path / 'meta.db'}", audit_key=KEY)
    for i in range(5):
        stores.audit.append(
            principal_id="id-1",
            principal_name="alice",
            action=f"things/write/{i}",
            target=f"/things/{i}",
            outcome=AuditOutcome.SUCCEEDED,
            status_code=200,
            details={"n": i},
        )
    return stores


def _db(stores: Stores) -> sqlite3.Connection:
    return sqlite3.connect(stores.db.url.removeprefix("sqlite:///"), isolation_level=None)


def test_intact_chain_verifies_and_lists_newest_first(stores: Stores) -> None:
    assert stores.audit.verify().model_dump() == {
        "ok": True,
        "entries_checked": 5,
        "first_bad_seq": None,
        "reason": None,
    }
    entries = stores.audit.list(limit=2)
    assert [e.seq for e in entries] == [5, 4]
    assert entries[0].prev_hash == entries[1].hash
    assert [e.seq for e in stores.audit.list(before_seq=3)] == [2, 1]
    assert [e.seq for e in stores.audit.list(action="things/write/1")] == [2]


def test_altered_field_is_named(stores: Stores) -> None:
    _db(stores).execute("UPDATE audit_entries SET principal_name = 'mallory' WHERE seq = 3")
    result = stores.audit.verify()
    assert (result.ok, result.first_bad_seq, result.entries_checked) == (False, 3, 2)
    assert "altered" in (result.reason or "")


def test_row_rewritten_with_a_valid_hash_is_named(stores: Stores) -> None:
    """Someone holding the key rewrites entry 2 consistently: the link from entry 3 still breaks."""
    db = _db(stores)
    row = stores.audit.list(before_seq=3, limit=1)[0]
    forged = entry_hash(
        KEY,
        seq=row.seq,
        recorded_at=row.recorded_at,
        principal_id=row.principal_id,
        principal_name="mallory",
        action=row.action,
        target=row.target,
        outcome=row.outcome.value,
        status_code=row.status_code,
        details=row.details,
        prev_hash=row.prev_hash,
    )
    db.execute("UPDATE audit_entries SET principal_name='mallory', hash=? WHERE seq=2", (forged,))
    result = stores.audit.verify()
    assert (result.ok, result.first_bad_seq) == (False, 2)
    assert "rewritten" in (result.reason or "")


def test_hash_forged_without_the_key_is_detected(stores: Stores) -> None:
    other = AuditStore(stores.db, b"x" * 32)
    assert other.verify().first_bad_seq == 1


def test_deleted_entry_is_named(stores: Stores) -> None:
    _db(stores).execute("DELETE FROM audit_entries WHERE seq = 4")
    result = stores.audit.verify()
    assert (result.ok, result.first_bad_seq) == (False, 4)
    assert "missing" in (result.reason or "")


def test_truncated_tail_is_detected(stores: Stores) -> None:
    _db(stores).execute("DELETE FROM audit_entries WHERE seq >= 4")
    result = stores.audit.verify()
    assert (result.ok, result.first_bad_seq) == (False, 4)
    assert "removed from the end" in (result.reason or "")


def test_appends_continue_the_chain_after_reopening(stores: Stores, tmp_path: Path) -> None:
    stores.close()
    reopened = Stores.open(stores.db.url, audit_key=KEY)
    entry = reopened.audit.append(
        principal_id=None,
        principal_name="anonymous",
        action="x",
        target="/x",
        outcome=AuditOutcome.DENIED,
        status_code=401,
    )
    assert entry.seq == 6
    assert reopened.audit.verify().ok
