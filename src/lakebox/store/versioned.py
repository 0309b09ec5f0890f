"""Named assets with immutable versions (environments, data assets), each kind in its own table."""

from __future__ import annotations

import builtins
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel
from sqlalchemy import select

from lakebox.errors import ConflictError, NotFoundError
from lakebox.store.db import Database

T = TypeVar("T", bound=BaseModel)
T_co = TypeVar("T_co", bound=BaseModel, covariant=True)


class VersionRow(Protocol[T_co]):
    name: Any
    version: Any
    spec: Any
    created_at: Any

    def __init__(self, *, name: str, version: str, spec: dict[str, Any]) -> None: ...

    def to_entity(self) -> T_co: ...


class VersionedStore(Generic[T]):
    """Register, get (a version or the latest) and list the versions of ``noun``s kept in ``row``."""

    def __init__(self, db: Database, row: type[VersionRow[T]], noun: str) -> None:
        self._db, self._row, self._noun = db, row, noun

    def register(self, item: T) -> T:
        """Store a version (the next integer when none is given); a version once stored never changes."""
        name, given = getattr(item, "name", None), getattr(item, "version", None)
        assert name is not None
        spec = item.model_dump(mode="json", exclude={"name", "version", "created_at"})
        with self._db.write_lock, self._db.session() as session:
            versions = session.scalars(select(self._row).where(self._row.name == name)).all()
            version = given or str(1 + max((int(v.version) for v in versions if v.version.isdigit()), default=0))
            existing = next((v for v in versions if v.version == version), None)
            if existing is not None:
                if existing.spec != spec:
                    raise ConflictError(f"{self._noun} {name}:{version} exists with another spec; use a new version")
                return existing.to_entity()
            row = self._row(name=name, version=version, spec=spec)
            session.add(row)
            session.flush()
            return row.to_entity()

    def get(self, name: str, version: str | None = None) -> T:
        """A version, or the latest (highest integer, else newest) when ``version`` is None."""
        with self._db.session() as session:
            rows = session.scalars(select(self._row).where(self._row.name == name)).all()
            if version is not None:
                rows = [row for row in rows if row.version == version]
            if not rows:
                wanted = f"{name}:{version}" if version else name
                raise NotFoundError(f"{self._noun} {wanted} not found")
            return max(
                rows, key=lambda r: (r.version.isdigit(), int(r.version) if r.version.isdigit() else 0, r.created_at)
            ).to_entity()

    def list(self, name: str | None = None) -> builtins.list[T]:
        query = select(self._row).order_by(self._row.name, self._row.created_at)
        if name is not None:
            query = query.where(self._row.name == name)
        with self._db.session() as session:
            return [row.to_entity() for row in session.scalars(query)]
