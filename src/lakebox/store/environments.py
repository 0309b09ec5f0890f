"""Registered environments: immutable versions under a name."""

from __future__ import annotations

from sqlalchemy import select

from lakebox.entities import Environment
from lakebox.errors import ConflictError, NotFoundError
from lakebox.store.db import Database
from lakebox.store.models import EnvironmentRow


class EnvironmentStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def register(self, environment: Environment) -> Environment:
        """Store a version (the next integer when none is given); a version once stored never changes."""
        assert environment.name is not None
        spec = environment.model_dump(mode="json", exclude={"name", "version"})
        with self._db.write_lock, self._db.session() as session:
            versions = session.scalars(select(EnvironmentRow).where(EnvironmentRow.name == environment.name)).all()
            version = environment.version or str(
                1 + max((int(v.version) for v in versions if v.version.isdigit()), default=0)
            )
            existing = next((v for v in versions if v.version == version), None)
            if existing is not None:
                if existing.spec != spec:
                    raise ConflictError(
                        f"environment {environment.name}:{version} exists with another spec; use a new version"
                    )
                return existing.to_entity()
            row = EnvironmentRow(name=environment.name, version=version, spec=spec)
            session.add(row)
            session.flush()
            return row.to_entity()

    def get(self, name: str, version: str | None = None) -> Environment:
        """A version, or the latest (highest integer, else newest) when ``version`` is None."""
        with self._db.session() as session:
            rows = session.scalars(select(EnvironmentRow).where(EnvironmentRow.name == name)).all()
            if version is not None:
                rows = [row for row in rows if row.version == version]
            if not rows:
                wanted = f"{name}:{version}" if version else name
                raise NotFoundError(f"environment {wanted} not found")
            return max(
                rows, key=lambda r: (r.version.isdigit(), int(r.version) if r.version.isdigit() else 0, r.created_at)
            ).to_entity()

    def list(self, name: str | None = None) -> list[Environment]:
        query = select(EnvironmentRow).order_by(EnvironmentRow.name, EnvironmentRow.created_at)
        if name is not None:
            query = query.where(EnvironmentRow.name == name)
        with self._db.session() as session:
            return [row.to_entity() for row in session.scalars(query)]
