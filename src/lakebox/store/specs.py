"""Entities kept whole as a JSON spec under a case-insensitive name, one store per kind."""

from __future__ import annotations

import builtins
from typing import Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import select

from lakebox.errors import NotFoundError
from lakebox.store.db import Database
from lakebox.store.models import SpecRow

T = TypeVar("T", bound=BaseModel)


class SpecStore(Generic[T]):
    """Create-or-update, get, list and delete of ``entity`` objects that have a ``name``."""

    def __init__(self, db: Database, kind: str, entity: type[T], noun: str) -> None:
        self._db, self._kind, self._entity, self._noun = db, kind, entity, noun

    def put(self, item: T) -> tuple[T, bool]:
        """Store ``item``; returns it and whether it was created (rather than replaced)."""
        spec = item.model_dump(mode="json")
        name = str(spec["name"])
        with self._db.write_lock, self._db.session() as session:
            row = session.get(SpecRow, (self._kind, name.lower()))
            created = row is None
            if row is None:
                session.add(SpecRow(kind=self._kind, name_key=name.lower(), spec=spec))
            else:
                row.spec = spec
        return item, created

    def get(self, name: str) -> T:
        with self._db.session() as session:
            row = session.get(SpecRow, (self._kind, name.lower()))
            if row is None:
                raise NotFoundError(f"{self._noun} {name!r} not found")
            return self._entity.model_validate(row.spec)

    def list(self) -> builtins.list[T]:
        query = select(SpecRow).where(SpecRow.kind == self._kind).order_by(SpecRow.name_key)
        with self._db.session() as session:
            return [self._entity.model_validate(row.spec) for row in session.scalars(query)]

    def delete(self, name: str) -> None:
        with self._db.write_lock, self._db.session() as session:
            row = session.get(SpecRow, (self._kind, name.lower()))
            if row is None:
                raise NotFoundError(f"{self._noun} {name!r} not found")
            session.delete(row)
