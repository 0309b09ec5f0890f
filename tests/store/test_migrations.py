"""Migrations build exactly the schema the models describe, and the database runs in WAL mode."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from lakebox.store.db import Database
from lakebox.store.models import Base


def test_upgrade_reaches_head_and_matches_models(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'meta.db'}")
    assert db.current_revision() is None
    db.upgrade()
    assert db.current_revision() == db.head_revision()
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_upgrade_is_idempotent_and_sqlite_uses_wal(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'meta.db'}")
    db.upgrade()
    db.upgrade()
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
