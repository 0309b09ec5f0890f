"""The seed's training_pipeline.py and train.py, changed only in imports and client construction,
train a model on the local compute: metrics in MLflow, an MLflow model in the job's model_output."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import mlflow
import pandas as pd
import pytest

from lakebox import MLClient
from lakebox.server.process import stop_server
from lakebox.workspace.manager import create_workspace

SEED = Path(__file__).resolve().parents[2] / "examples" / "seed"


def _sample_data() -> object:
    spec = importlib.util.spec_from_file_location("sample_data", SEED / "sample_data.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_seed_training_pipeline(home: Path, tmp_path: Path) -> None:
    example = shutil.copytree(SEED, tmp_path / "seed")
    layout, _ = create_workspace("your-subscription-id", "rg-ml-workspace", "ml-workspace-prod")
    try:
        train_rows, test_rows = _sample_data().write(layout.default_datastore_dir)  # type: ignore[attr-defined]
        run = subprocess.run(
            [sys.executable, "training_pipeline.py"],
            cwd=example,
            env=dict(os.environ),
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        assert "Model trained successfully" in run.stdout
        job_name = run.stdout.split("Training job submitted: ")[1].split()[0]

        with MLClient(path=layout.root) as ml_client:
            job = ml_client.jobs.get(job_name)
        assert job.status == "Completed"
        assert job.compute == "ml-compute-cluster"
        assert job.environment.startswith("sklearn-env:")
        assert set(job.metrics) == {"accuracy", "precision", "recall"}
        assert job.metrics["accuracy"] > 0.7
        assert job.params == {"n_estimators": "100", "max_depth": "10"}

        model_dir = Path(job.outputs["model_output"].local_path)
        assert (model_dir / "MLmodel").is_file()
        test = pd.read_parquet(layout.default_datastore_dir / "testing" / "customer_features")
        predictions = mlflow.pyfunc.load_model(str(model_dir)).predict(test.drop(columns=["target"]))
        assert len(predictions) == test_rows and train_rows + test_rows == 2000
    finally:
        stop_server(layout)
