"""All stores of one metadata database, opened (and migrated) together."""

from __future__ import annotations

from dataclasses import dataclass

from lakebox.store.audit import AuditStore
from lakebox.store.authorization import AuthorizationStore
from lakebox.store.computes import ComputeStore
from lakebox.store.db import Database
from lakebox.store.environments import EnvironmentStore
from lakebox.store.identities import IdentityStore
from lakebox.store.jobs import JobStore
from lakebox.store.workspaces import WorkspaceStore


@dataclass(frozen=True)
class Stores:
    db: Database
    workspaces: WorkspaceStore
    identities: IdentityStore
    audit: AuditStore
    authorization: AuthorizationStore
    computes: ComputeStore
    environments: EnvironmentStore
    jobs: JobStore

    @classmethod
    def open(cls, database_url: str, *, audit_key: bytes, upgrade: bool = True) -> Stores:
        db = Database(database_url)
        if upgrade:
            db.upgrade()
        return cls(
            db=db,
            workspaces=WorkspaceStore(db),
            identities=IdentityStore(db),
            audit=AuditStore(db, audit_key),
            authorization=AuthorizationStore(db),
            computes=ComputeStore(db),
            environments=EnvironmentStore(db),
            jobs=JobStore(db),
        )

    def close(self) -> None:
        self.db.dispose()
