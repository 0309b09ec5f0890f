"""The workspace's own row: identity and updatable settings."""

from __future__ import annotations

from lakebox.entities import Workspace, WorkspaceUpdate
from lakebox.errors import NotFoundError
from lakebox.store.db import Database
from lakebox.store.models import WorkspaceRow


class WorkspaceStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create(self, *, id: str, name: str, subscription_id: str, resource_group: str) -> Workspace:
        with self._db.write_lock, self._db.session() as session:
            row = WorkspaceRow(id=id, name=name, subscription_id=subscription_id, resource_group=resource_group)
            session.add(row)
            session.flush()
            return row.to_entity()

    def get(self) -> Workspace:
        with self._db.session() as session:
            row = session.query(WorkspaceRow).one_or_none()
            if row is None:
                raise NotFoundError("this database holds no workspace")
            return row.to_entity()

    def update(self, update: WorkspaceUpdate) -> Workspace:
        with self._db.write_lock, self._db.session() as session:
            row = session.query(WorkspaceRow).one()
            if update.description is not None:
                row.description = update.description
            if update.tags is not None:
                row.tags = dict(update.tags)
            session.flush()
            return row.to_entity()
