"""A job's MLflow run, made and closed in the workspace's tracking store, and the model it logged."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from mlflow.entities import Metric, RunStatus, RunTag
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
from mlflow.utils.mlflow_tags import MLFLOW_PARENT_RUN_ID

from lakebox.workspace.layout import WorkspaceLayout
from lakebox.workspace.mlflow_store import ARTIFACT_ROOT

JOB_TAG = "lakebox.job"


class JobTracking:
    def __init__(self, layout: WorkspaceLayout) -> None:
        self._layout = layout
        self._store = SqlAlchemyStore(layout.mlflow_backend_uri(), ARTIFACT_ROOT)

    def start_run(
        self, experiment_name: str, run_name: str, job_name: str, user: str, parent_run_id: str | None = None
    ) -> tuple[str, str]:
        """A new run for the job in its experiment (made if new), nested under ``parent_run_id`` if given;
        returns ``(experiment id, run id)``."""
        experiment = self._store.get_experiment_by_name(experiment_name)
        experiment_id = experiment.experiment_id if experiment else self._store.create_experiment(experiment_name)
        tags = [RunTag(JOB_TAG, job_name), RunTag("mlflow.user", user)]
        if parent_run_id:
            tags.append(RunTag(MLFLOW_PARENT_RUN_ID, parent_run_id))
        run = self._store.create_run(experiment_id, user, int(time.time() * 1000), tags, run_name)
        return experiment_id, run.info.run_id

    def end_run(self, run_id: str, succeeded: bool) -> None:
        """Close the run unless user code already did."""
        if self._store.get_run(run_id).info.status == RunStatus.to_string(RunStatus.RUNNING):
            status = RunStatus.FINISHED if succeeded else RunStatus.FAILED
            self._store.update_run_info(run_id, status, int(time.time() * 1000), None)

    def metric_history(self, run_id: str, key: str) -> list[float]:
        """Every value of one metric the run logged, in the order logged."""
        history = self._store.get_metric_history(run_id, key)
        return [m.value for m in sorted(history, key=lambda m: (m.step, m.timestamp))]

    def log_result(self, run_id: str, metrics: dict[str, float], tags: dict[str, str]) -> None:
        """Record a finished job's results on its run (a sweep's best trial, for one)."""
        now = int(time.time() * 1000)
        self._store.log_batch(
            run_id, [Metric(k, v, now, 0) for k, v in metrics.items()], [], [RunTag(k, v) for k, v in tags.items()]
        )

    def metrics_and_params(self, run_id: str) -> tuple[dict[str, float], dict[str, str]]:
        data = self._store.get_run(run_id).data
        return dict(data.metrics), dict(data.params)

    def copy_logged_model(self, experiment_id: str, run_id: str, target: Path) -> bool:
        """Copy the newest MLflow model the run logged into ``target``; False if it logged none."""
        source = self._logged_model(experiment_id, run_id)
        if source is None:
            return False
        shutil.copytree(source, target, dirs_exist_ok=True)
        return True

    def run_artifact(self, run_id: str, artifact_path: str) -> Path | None:
        """The local folder of ``runs:/<run_id>/<artifact_path>``: a run artifact, or (MLflow 3) the
        model the run logged under that name; None when there is neither."""
        run = self._store.get_run(run_id)
        candidate = self._local(run.info.artifact_uri) / artifact_path
        if candidate.exists():
            return candidate
        return self._logged_model(run.info.experiment_id, run_id, name=artifact_path.strip("/"))

    def job_of(self, run_id: str) -> str | None:
        """The lakebox job whose run this is, if any."""
        job = self._store.get_run(run_id).data.tags.get(JOB_TAG)
        return str(job) if job is not None else None

    def _logged_model(self, experiment_id: str, run_id: str, name: str | None = None) -> Path | None:
        models = self._store.search_logged_models(
            experiment_ids=[experiment_id], filter_string=f"source_run_id = '{run_id}'"
        )
        named = [m for m in models if name is None or m.name == name]
        if not named:
            return None
        source = self._local(max(named, key=lambda m: m.creation_timestamp).artifact_location)
        return source if (source / "MLmodel").exists() else None

    def _local(self, artifact_uri: str) -> Path:
        return self._layout.mlflow_artifacts_dir / artifact_uri.removeprefix(ARTIFACT_ROOT).lstrip("/")
