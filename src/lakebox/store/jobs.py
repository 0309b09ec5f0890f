"""Jobs and the one table of status transitions they may take."""

from __future__ import annotations

import builtins
from typing import Any

from sqlalchemy import select

from lakebox.entities import Job, JobStatus
from lakebox.errors import ConflictError, NotFoundError
from lakebox.store.db import Database
from lakebox.store.models import JobRow
from lakebox.store.types import utcnow

S = JobStatus
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    S.NOT_STARTED: frozenset({S.QUEUED, S.FAILED, S.CANCELED}),
    S.QUEUED: frozenset({S.PREPARING, S.FAILED, S.CANCELED}),
    S.PREPARING: frozenset({S.RUNNING, S.QUEUED, S.FAILED, S.CANCELED}),  # Queued again after a server stop
    S.RUNNING: frozenset({S.FINALIZING, S.FAILED, S.CANCELED}),
    S.FINALIZING: frozenset({S.COMPLETED, S.FAILED}),
    S.COMPLETED: frozenset(),
    S.FAILED: frozenset(),
    S.CANCELED: frozenset(),
}


class JobStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create(self, **fields: Any) -> Job:
        with self._db.write_lock, self._db.session() as session:
            if session.get(JobRow, fields["name"]) is not None:
                raise ConflictError(f"a job named {fields['name']!r} already exists")
            row = JobRow(status=JobStatus.NOT_STARTED.value, **fields)
            session.add(row)
            session.flush()
            return row.to_entity()

    def get(self, name: str) -> Job:
        with self._db.session() as session:
            return self._row(session, name).to_entity()

    def spec(self, name: str) -> dict[str, Any]:
        with self._db.session() as session:
            return dict(self._row(session, name).spec)

    def runtime(self, name: str) -> tuple[int | None, str | None]:
        """The job's process id and identity grant, for re-attaching and cleaning up."""
        with self._db.session() as session:
            row = self._row(session, name)
            return row.pid, row.grant_id

    def list(self, *, limit: int = 100, status: JobStatus | None = None, parent: str | None = None) -> list[Job]:
        """Jobs newest first; with ``parent``, that sweep's trials."""
        query = select(JobRow).order_by(JobRow.created_at.desc()).limit(limit)
        if status is not None:
            query = query.where(JobRow.status == status.value)
        if parent is not None:
            query = query.where(JobRow.parent_job_name == parent)
        with self._db.session() as session:
            return [row.to_entity() for row in session.scalars(query)]

    def trials(self, sweep: str) -> builtins.list[Job]:
        """A sweep's trials in the order they were made."""
        query = select(JobRow).where(JobRow.parent_job_name == sweep).order_by(JobRow.created_at, JobRow.name)
        with self._db.session() as session:
            return [row.to_entity() for row in session.scalars(query)]

    def unfinished(self) -> builtins.list[Job]:
        """Jobs not in a terminal status, oldest first."""
        open_statuses = [s.value for s in JobStatus if not s.terminal]
        query = select(JobRow).where(JobRow.status.in_(open_statuses)).order_by(JobRow.created_at)
        with self._db.session() as session:
            return [row.to_entity() for row in session.scalars(query)]

    def transition(self, name: str, status: JobStatus, **fields: Any) -> Job:
        """Move a job to ``status`` (persisted before anything acts on it); illegal moves are a 409."""
        with self._db.write_lock, self._db.session() as session:
            row = self._row(session, name)
            current = JobStatus(row.status)
            if status not in TRANSITIONS[current]:
                raise ConflictError(f"job {name} is {current}; it cannot become {status}")
            row.status = status.value
            if status is JobStatus.RUNNING:
                row.started_at = utcnow()
            if status.terminal:
                row.ended_at = utcnow()
            for key, value in fields.items():
                setattr(row, key, value)
            session.flush()
            return row.to_entity()

    def update(self, name: str, **fields: Any) -> None:
        with self._db.write_lock, self._db.session() as session:
            row = self._row(session, name)
            for key, value in fields.items():
                setattr(row, key, value)

    @staticmethod
    def _row(session: Any, name: str) -> JobRow:
        row = session.get(JobRow, name)
        if row is None:
            raise NotFoundError(f"job {name!r} not found")
        return row  # type: ignore[no-any-return]
