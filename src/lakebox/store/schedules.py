"""Schedules (JSON specs) and the record of every time a schedule or trigger fired."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lakebox.entities.schedule import Schedule, ScheduleFire
from lakebox.store.db import Database
from lakebox.store.models import ScheduleFireRow
from lakebox.store.specs import SpecStore


class ScheduleStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        self.schedules = SpecStore(db, "schedule", Schedule, "schedule")

    def record(self, fire: ScheduleFire) -> bool:
        """Store a fire; False if that schedule already fired for that time (and key)."""
        try:
            with self._db.write_lock, self._db.session() as session:
                session.add(ScheduleFireRow(**fire.model_dump()))
                session.flush()
        except IntegrityError:
            return False
        return True

    def update(self, source: str, name: str, scheduled_time: datetime, key: str = "", **fields: Any) -> None:
        with self._db.write_lock, self._db.session() as session:
            row = session.scalars(
                self._query(source, name).where(
                    ScheduleFireRow.scheduled_time == scheduled_time, ScheduleFireRow.key == key
                )
            ).one()
            for field, value in fields.items():
                setattr(row, field, value)

    def fires(self, source: str, name: str, limit: int = 100) -> list[ScheduleFire]:
        """The latest fires first."""
        query = self._query(source, name).order_by(ScheduleFireRow.scheduled_time.desc(), ScheduleFireRow.id.desc())
        with self._db.session() as session:
            return [row.to_entity() for row in session.scalars(query.limit(limit))]

    def last(self, source: str, name: str) -> ScheduleFire | None:
        fires = self.fires(source, name, limit=1)
        return fires[0] if fires else None

    def anchor(self, source: str, name: str) -> datetime | None:
        """When a trigger was first seen started: the time of its ``Started`` record."""
        query = self._query(source, name).where(ScheduleFireRow.status == "Started")
        with self._db.session() as session:
            row = session.scalars(query).first()
            return row.scheduled_time if row else None

    def unfinished(self, source: str, name: str) -> list[ScheduleFire]:
        """Fires whose run has not ended (tumbling windows waiting, running or due a retry)."""
        query = self._query(source, name).where(ScheduleFireRow.status.in_(("Waiting", "Running")))
        with self._db.session() as session:
            return [row.to_entity() for row in session.scalars(query.order_by(ScheduleFireRow.scheduled_time))]

    def forget(self, source: str, name: str) -> None:
        """Drop the fire record of a deleted schedule or trigger."""
        with self._db.write_lock, self._db.session() as session:
            for row in session.scalars(self._query(source, name)):
                session.delete(row)

    @staticmethod
    def _query(source: str, name: str) -> Any:
        return select(ScheduleFireRow).where(ScheduleFireRow.source == source, ScheduleFireRow.name == name)
