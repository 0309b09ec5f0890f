"""The workspace's MLflow tracking store: created with the workspace, migrated when lakebox's MLflow is newer.

MLflow migrates its database only on `mlflow db upgrade`; a workspace made by an older lakebox would
otherwise fail in the UI with "out-of-date database schema". This module is the one place that
uses MLflow's (private) schema helpers.
"""

from __future__ import annotations

import logging

import mlflow
from sqlalchemy import create_engine

from lakebox.errors import ConflictError
from lakebox.workspace.layout import WorkspaceLayout

_logger = logging.getLogger(__name__)
ARTIFACT_ROOT = "mlflow-artifacts:/"


def prepare_mlflow_store(layout: WorkspaceLayout) -> None:
    """Create MLflow's tables (and its Default experiment), or upgrade them to the installed schema."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError
    from mlflow.store.db import utils as mlflow_db
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    engine = create_engine(layout.mlflow_backend_uri())
    try:
        current, latest = mlflow_db._get_schema_version(engine), mlflow_db._get_latest_schema_revision()
        if current is not None and current != latest:
            try:
                ScriptDirectory.from_config(mlflow_db._get_alembic_config("")).get_revision(current)
            except CommandError as exc:
                raise ConflictError(
                    f"the workspace's MLflow store has schema {current}, which MLflow {mlflow.__version__} does not "
                    "know: it was written by a newer lakebox; use that version with this workspace"
                ) from exc
            _logger.info("upgrading the MLflow store from schema %s to %s", current, latest)
            mlflow_db._upgrade_db(engine)
    finally:
        engine.dispose()
    store = SqlAlchemyStore(layout.mlflow_backend_uri(), ARTIFACT_ROOT)
    store.engine.dispose()
