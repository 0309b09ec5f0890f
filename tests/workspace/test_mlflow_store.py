"""A workspace's MLflow store is brought to the installed MLflow's schema, and a newer one is refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from mlflow.store.db import utils as mlflow_db
from mlflow.store.tracking.dbmodels.initial_models import Base as InitialBase
from mlflow.tracking import MlflowClient
from sqlalchemy import create_engine

from lakebox.errors import ConflictError
from lakebox.workspace.layout import WorkspaceLayout
from lakebox.workspace.mlflow_store import prepare_mlflow_store


def _layout(tmp_path: Path) -> WorkspaceLayout:
    layout = WorkspaceLayout(tmp_path / "ws")
    layout.mlflow_dir.mkdir(parents=True)
    return layout


def test_new_store_gets_tables_and_default_experiment(tmp_path: Path) -> None:
    layout = _layout(tmp_path)
    prepare_mlflow_store(layout)
    assert MlflowClient(tracking_uri=layout.mlflow_backend_uri()).get_experiment("0").name == "Default"


def test_store_written_by_an_older_mlflow_is_upgraded(tmp_path: Path) -> None:
    layout = _layout(tmp_path)
    engine = create_engine(layout.mlflow_backend_uri())
    config = mlflow_db._get_alembic_config(layout.mlflow_backend_uri())
    older = list(ScriptDirectory.from_config(config).walk_revisions())[5].revision
    InitialBase.metadata.create_all(engine)
    command.upgrade(config, older)
    assert mlflow_db._get_schema_version(engine) == older

    prepare_mlflow_store(layout)

    assert mlflow_db._get_schema_version(engine) == mlflow_db._get_latest_schema_revision()
    client = MlflowClient(tracking_uri=layout.mlflow_backend_uri())
    run = client.create_run(client.create_experiment("after-upgrade"))
    assert client.get_run(run.info.run_id).info.status == "RUNNING"
    engine.dispose()


def test_store_from_a_newer_mlflow_is_refused_clearly(tmp_path: Path) -> None:
    layout = _layout(tmp_path)
    prepare_mlflow_store(layout)
    with sqlite3.connect(layout.mlflow_database_file) as db:
        db.execute("UPDATE alembic_version SET version_num = 'ffffffffffff'")
    with pytest.raises(ConflictError, match=r"schema ffffffffffff, which MLflow .* does not know"):
        prepare_mlflow_store(layout)
