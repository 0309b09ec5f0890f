"""A job's MLflow run, made and closed in the workspace's tracking store, and the model it logged."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from mlflow.entities import RunStatus, RunTag
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

from lakebox.workspace.layout import WorkspaceLayout
from lakebox.workspace.mlflow_store import ARTIFACT_ROOT

JOB_TAG = "lakebox.job"


class JobTracking:
    def __init__(self, layout: WorkspaceLayout) -> None:
        self._layout = layout
        self._store = SqlAlchemyStore(layout.mlflow_backend_uri(), ARTIFACT_ROOT)

    def start_run(self, experiment_name: str, run_name: str, job_name: str, user: str) -> tuple[str, str]:
        """A new run for the job in its experiment (made if new); returns ``(experiment id, run id)``."""
        experiment = self._store.get_experiment_by_name(experiment_name)
        experiment_id = experiment.experiment_id if experiment else self._store.create_experiment(experiment_name)
        tags = [RunTag(JOB_TAG, job_name), RunTag("mlflow.user", user)]
        run = self._store.create_run(experiment_id, user, int(time.time() * 1000), tags, run_name)
        return experiment_id, run.info.run_id

    def end_run(self, run_id: str, succeeded: bool) -> None:
        """Close the run unless user code already did."""
        if self._store.get_run(run_id).info.status == RunStatus.to_string(RunStatus.RUNNING):
            status = RunStatus.FINISHED if succeeded else RunStatus.FAILED
            self._store.update_run_info(run_id, status, int(time.time() * 1000), None)

    def metrics_and_params(self, run_id: str) -> tuple[dict[str, float], dict[str, str]]:
        data = self._store.get_run(run_id).data
        return dict(data.metrics), dict(data.params)

    def copy_logged_model(self, experiment_id: str, run_id: str, target: Path) -> bool:
        """Copy the newest MLflow model the run logged into ``target``; False if it logged none."""
        models = self._store.search_logged_models(
            experiment_ids=[experiment_id], filter_string=f"source_run_id = '{run_id}'"
        )
        if not models:
            return False
        newest = max(models, key=lambda m: m.creation_timestamp)
        source = self._local(newest.artifact_location)
        if not (source / "MLmodel").exists():
            return False
        shutil.copytree(source, target, dirs_exist_ok=True)
        return True

    def _local(self, artifact_uri: str) -> Path:
        return self._layout.mlflow_artifacts_dir / artifact_uri.removeprefix(ARTIFACT_ROOT).lstrip("/")
