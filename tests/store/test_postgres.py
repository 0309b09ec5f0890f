"""The metadata database on a real PostgreSQL: migrations, the audit chain, and a whole workspace server."""

from __future__ import annotations

import itertools
from pathlib import Path

import httpx
import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from lakebox.cli.main import main as lakebox
from lakebox.entities import AuditOutcome
from lakebox.server.process import start_server, stop_server
from lakebox.store.models import Base
from lakebox.store.stores import Stores
from lakebox.workspace.manager import create_workspace
from tests.postgres import PostgresServer

_names = (f"lakebox_{i}" for i in itertools.count())


def test_migrations_match_models_on_postgres(postgres: PostgresServer) -> None:
    stores = Stores.open(postgres.create_database(next(_names)), audit_key=b"k" * 32)
    try:
        assert stores.db.current_revision() == stores.db.head_revision()
        with stores.db.engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    finally:
        stores.close()


def test_audit_chain_round_trips_on_postgres(postgres: PostgresServer) -> None:
    url = postgres.create_database(next(_names))
    stores = Stores.open(url, audit_key=b"k" * 32)
    try:
        for i in range(3):
            stores.audit.append(
                principal_id=None,
                principal_name="alice",
                action="things/write",
                target=f"/things/{i}",
                outcome=AuditOutcome.SUCCEEDED,
                status_code=200,
                details={"i": i, "nested": {"b": 1, "a": [1, 2]}},
            )
        assert stores.audit.verify().ok
        with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as db:
            db.execute("UPDATE audit_entries SET target = '/elsewhere' WHERE seq = 2")
        assert stores.audit.verify().first_bad_seq == 2
    finally:
        stores.close()


@pytest.mark.slow
def test_workspace_server_on_postgres(postgres: PostgresServer, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    password = "pg-secret-never-shown"
    url = postgres.create_database(next(_names), password=password)
    layout, workspace = create_workspace("s", "rg", "pg-ws", database_url=url)
    assert not layout.database_file.exists()
    record, _ = start_server(layout)
    try:
        headers = {"Authorization": f"Bearer {layout.owner_token()}"}
        with httpx.Client(base_url=record.url, headers=headers) as http:
            assert http.patch("/api/v1/workspace", json={"tags": {"db": "postgres"}}).status_code == 200
            assert http.get("/api/v1/workspace").json()["id"] == workspace.id
            assert http.get("/api/v1/audit/verify").json() == {
                "ok": True,
                "entries_checked": 2,
                "first_bad_seq": None,
                "reason": None,
            }
        assert lakebox(["workspace", "show", "--path", str(layout.root), "-o", "json"]) == 0
        shown = capsys.readouterr().out
        assert password not in shown and "***" in shown
        assert password not in layout.server_log_file.read_text()
    finally:
        stop_server(layout)
