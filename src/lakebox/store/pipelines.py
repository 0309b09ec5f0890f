"""Pipeline runs and their activity runs, with the one table of status transitions a run may take.

The artifacts themselves (pipelines, datasets, triggers, notebooks, Spark job definitions) are JSON
specs in :class:`SpecStore`s.
"""

from __future__ import annotations

import builtins
from typing import Any

from sqlalchemy import select

from lakebox.entities.pipeline import (
    ActivityRun,
    ActivityStatus,
    Artifact,
    PipelineRun,
    PipelineRunStatus,
)
from lakebox.errors import ConflictError, NotFoundError
from lakebox.store.db import Database
from lakebox.store.models import ActivityRunRow, PipelineRunRow
from lakebox.store.specs import SpecStore
from lakebox.store.types import utcnow

S = PipelineRunStatus
TRANSITIONS: dict[PipelineRunStatus, frozenset[PipelineRunStatus]] = {
    S.QUEUED: frozenset({S.IN_PROGRESS, S.FAILED, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.SUCCEEDED, S.FAILED, S.CANCELING, S.CANCELLED}),
    S.CANCELING: frozenset({S.CANCELLED, S.FAILED, S.SUCCEEDED}),
    S.SUCCEEDED: frozenset(),
    S.FAILED: frozenset(),
    S.CANCELLED: frozenset(),
}


class PipelineStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        self.pipelines = SpecStore(db, "pipeline", Artifact, "pipeline")
        self.datasets = SpecStore(db, "dataset", Artifact, "dataset")
        self.triggers = SpecStore(db, "trigger", Artifact, "trigger")
        self.notebooks = SpecStore(db, "notebook", Artifact, "notebook")
        self.spark_job_definitions = SpecStore(db, "spark_job_definition", Artifact, "Spark job definition")

    # Runs

    def create_run(self, run: PipelineRun) -> PipelineRun:
        with self._db.write_lock, self._db.session() as session:
            row = PipelineRunRow(
                run_id=run.run_id,
                pipeline_name=run.pipeline_name,
                status=run.status.value,
                parameters=run.parameters,
                variables={},
                message=run.message,
                invoked_by=run.invoked_by,
                run_group_id=run.run_group_id,
                rerun_of=run.rerun_of,
                parent_run_id=run.parent_run_id,
                output={},
            )
            session.add(row)
            session.flush()
            return row.to_entity()

    def get_run(self, run_id: str) -> PipelineRun:
        with self._db.session() as session:
            return self._row(session, run_id).to_entity()

    def list_runs(self, pipeline_name: str | None = None, *, limit: int = 100) -> builtins.list[PipelineRun]:
        query = select(PipelineRunRow).order_by(PipelineRunRow.created_at.desc()).limit(limit)
        if pipeline_name is not None:
            query = query.where(PipelineRunRow.pipeline_name == pipeline_name)
        with self._db.session() as session:
            return [row.to_entity() for row in session.scalars(query)]

    def unfinished_runs(self) -> builtins.list[PipelineRun]:
        live = [S.QUEUED.value, S.IN_PROGRESS.value, S.CANCELING.value]
        query = select(PipelineRunRow).where(PipelineRunRow.status.in_(live)).order_by(PipelineRunRow.created_at)
        with self._db.session() as session:
            return [row.to_entity() for row in session.scalars(query)]

    def transition(
        self, run_id: str, status: PipelineRunStatus, message: str | None = None, output: dict[str, Any] | None = None
    ) -> PipelineRun:
        """Move the run to ``status``; an illegal transition is a ``ConflictError``."""
        with self._db.write_lock, self._db.session() as session:
            row = self._row(session, run_id)
            current = PipelineRunStatus(row.status)
            if status is not current and status not in TRANSITIONS[current]:
                raise ConflictError(f"pipeline run {run_id} is {current}; it cannot become {status}")
            row.status = status.value
            if message is not None:
                row.message = message
            if output is not None:
                row.output = output
            if status is S.IN_PROGRESS and row.run_start is None:
                row.run_start = utcnow()
            if status.terminal:
                row.run_end = utcnow()
            return row.to_entity()

    def variables(self, run_id: str) -> dict[str, Any]:
        with self._db.session() as session:
            return dict(self._row(session, run_id).variables or {})

    def save_variables(self, run_id: str, variables: dict[str, Any]) -> None:
        with self._db.write_lock, self._db.session() as session:
            self._row(session, run_id).variables = dict(variables)

    @staticmethod
    def _row(session: Any, run_id: str) -> PipelineRunRow:
        row = session.get(PipelineRunRow, run_id)
        if row is None:
            raise NotFoundError(f"pipeline run {run_id} not found")
        return row  # type: ignore[no-any-return]

    # Activity runs

    def start_activity(self, run: ActivityRun) -> int:
        """Record an activity attempt as it starts (or as it is skipped); returns its id."""
        with self._db.write_lock, self._db.session() as session:
            row = ActivityRunRow(
                run_id=run.run_id,
                activity_name=run.activity_name,
                activity_type=run.activity_type,
                path=run.path,
                status=run.status.value,
                attempt=run.attempt,
                input=run.input,
                run_start=utcnow(),
                run_end=utcnow() if run.status is not ActivityStatus.IN_PROGRESS else None,
            )
            session.add(row)
            session.flush()
            return int(row.id)

    def finish_activity(
        self, activity_id: int, status: ActivityStatus, output: Any = None, error: dict[str, Any] | None = None
    ) -> None:
        with self._db.write_lock, self._db.session() as session:
            row = session.get(ActivityRunRow, activity_id)
            if row is None:
                raise NotFoundError(f"activity run {activity_id} not found")
            row.status, row.output, row.error, row.run_end = status.value, output, error, utcnow()

    def activity_runs(self, run_id: str) -> builtins.list[ActivityRun]:
        query = select(ActivityRunRow).where(ActivityRunRow.run_id == run_id).order_by(ActivityRunRow.id)
        with self._db.session() as session:
            return [row.to_entity() for row in session.scalars(query)]

    def abandon_activities(self, run_id: str, reason: str) -> None:
        """Mark the run's activities still in progress as failed (their server went away)."""
        query = select(ActivityRunRow).where(
            ActivityRunRow.run_id == run_id, ActivityRunRow.status == ActivityStatus.IN_PROGRESS.value
        )
        with self._db.write_lock, self._db.session() as session:
            for row in session.scalars(query):
                row.status, row.run_end = ActivityStatus.FAILED.value, utcnow()
                row.error = {"errorCode": "ServerRestarted", "message": reason, "failureType": "SystemError"}
