"""Compute clusters of the workspace."""

from __future__ import annotations

from sqlalchemy import select

from lakebox.entities import ComputeCluster
from lakebox.errors import NotFoundError
from lakebox.store.db import Database
from lakebox.store.models import ComputeRow

_SERVER_FIELDS = {"provisioning_state", "created_at"}


class ComputeStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def put(self, cluster: ComputeCluster) -> tuple[ComputeCluster, bool]:
        """Create or update by name; returns the stored cluster and whether it was created."""
        spec = cluster.model_dump(mode="json", exclude=_SERVER_FIELDS)
        with self._db.write_lock, self._db.session() as session:
            row = session.get(ComputeRow, cluster.name.lower())
            created = row is None
            if row is None:
                row = ComputeRow(name_key=cluster.name.lower(), spec=spec)
                session.add(row)
            else:
                row.spec = {**spec, "name": row.spec["name"]}
            session.flush()
            return row.to_entity(), created

    def get(self, name: str) -> ComputeCluster:
        with self._db.session() as session:
            row = session.get(ComputeRow, name.lower())
            if row is None:
                raise NotFoundError(f"compute {name!r} not found")
            return row.to_entity()

    def list(self) -> list[ComputeCluster]:
        with self._db.session() as session:
            return [row.to_entity() for row in session.scalars(select(ComputeRow).order_by(ComputeRow.name_key))]

    def delete(self, name: str) -> None:
        with self._db.write_lock, self._db.session() as session:
            row = session.get(ComputeRow, name.lower())
            if row is None:
                raise NotFoundError(f"compute {name!r} not found")
            session.delete(row)
