"""The seed's scripts, changed only in imports, client construction and the seed's data bugs, run
one after another as separate processes: the Synapse set-up, the workspace connection, the Spark
data prep (warehouse -> Delta), the training pipeline (metrics in MLflow, an MLflow model) and the
deployment (the model registered, an endpoint with key auth, the seed's score.py answering), the
batch scoring pipeline (warehouse -> lake -> batch endpoint -> warehouse), and the weekly retraining
schedule, fired once: a job running the workflow's three scripts as the workspace's managed identity."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import mlflow
import pytest

from lakebox import MLClient
from lakebox.cli.main import main as lakebox
from lakebox.lake import delta
from lakebox.server.process import stop_server
from lakebox.workspace.manager import create_workspace

SEED = Path(__file__).resolve().parents[1] / "examples" / "seed"


def _run(example: Path, script: str) -> str:
    run = subprocess.run(
        [sys.executable, script], cwd=example, env=dict(os.environ), capture_output=True, text=True, timeout=900
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run.stdout


def _printed(output: str, prefix: str) -> str:
    return output.split(prefix)[1].split()[0]


@pytest.mark.slow
def test_seed_workflow_from_warehouse_to_model(home: Path, tmp_path: Path) -> None:
    example = shutil.copytree(SEED, tmp_path / "seed")
    layout, _ = create_workspace("your-subscription-id", "rg-ml-workspace", "ml-workspace-prod")
    try:
        assert "dbo.CustomerData: 5100 rows" in _run(example, "setup_synapse.py")
        linked_services = ["linked-service", "create", "-f", str(example / "linkedService"), "--path", str(layout.root)]
        assert lakebox(linked_services) == 0
        assert "Synapse connection created successfully" in _run(example, "configure_ml_workspace.py")
        prep = _run(example, "synapse_data_prep.py")
        train_rows, test_rows = int(_printed(prep, "Training data: ")), int(_printed(prep, "Testing data: "))
        training = _run(example, "training_pipeline.py")
        assert "Model trained successfully" in training
        job_name = _printed(training, "Training job submitted: ")

        with MLClient(path=layout.root) as ml_client:
            job = ml_client.jobs.get(job_name)
            cleaned = ml_client.warehouse.query(
                "SELECT count(*) AS n FROM (SELECT DISTINCT * FROM dbo.CustomerData) WHERE Age BETWEEN 18 AND 100"
            )
        assert job.status == "Completed"
        assert job.compute == "ml-compute-cluster"
        assert job.environment.startswith("sklearn-env:")
        assert set(job.metrics) == {"accuracy", "precision", "recall"}
        assert job.metrics["accuracy"] > 0.7
        assert job.params == {"n_estimators": "100", "max_depth": "10"}
        assert train_rows + test_rows == cleaned.column("n")[0].as_py()

        model_dir = Path(job.outputs["model_output"].local_path)
        assert (model_dir / "MLmodel").is_file()
        test = delta.read_table(layout.default_datastore_dir / "testing" / "customer_features").to_pandas()
        assert list(test.columns) == ["Age", "Income", "CreditScore", "AccountBalance", "target"]
        predictions = mlflow.pyfunc.load_model(str(model_dir)).predict(test.drop(columns=["target"]))
        assert len(predictions) == test_rows

        shutil.rmtree(example / "model", ignore_errors=True)  # left by a quickstart in this checkout
        shutil.copytree(model_dir, example / "model")  # deploy_model.py registers ./model
        assert "Model deployed successfully to endpoint: customer-churn-endpoint" in _run(example, "deploy_model.py")
        sample = test.drop(columns=["target"]).head(5).values.tolist()
        with MLClient(path=layout.root) as ml_client:
            answer = ml_client.online_endpoints.invoke("customer-churn-endpoint", body=json.dumps({"data": sample}))
            registered = ml_client.models.get("customer-churn-model")
        scored = json.loads(
            json.loads(answer)
        )  # the seed's run() returns json.dumps(...), which Azure ML encodes again
        assert scored["predictions"] == predictions[:5].tolist()
        assert len(scored["probabilities"]) == 5
        assert registered.type == "mlflow_model" and registered.version == "1"

        # Batch scoring: the seed's batch_scoring_pipeline.json as written, with the datasets it names.
        assert "default deployment churn-batch" in _run(example, "create_batch_endpoint.py")
        assert lakebox(["pipeline", "publish", str(example), "--path", str(layout.root)]) == 0
        with MLClient(path=layout.root) as ml_client:
            run = ml_client.pipelines.wait(ml_client.pipelines.run("BatchScoringPipeline").run_id, timeout=600)
            activities = {a.activity_name: a for a in ml_client.pipelines.activity_runs(run.run_id)}
            customers = ml_client.warehouse.query("SELECT * FROM dbo.CustomerData").to_pandas()
            scored_rows = ml_client.warehouse.query("SELECT * FROM dbo.ChurnPredictions").to_pandas()
        assert run.status == "Succeeded", run.message
        assert list(activities) == ["LoadDataFromSynapse", "BatchPrediction", "LoadPredictionsToSynapse"]
        assert activities["LoadDataFromSynapse"].output["rowsCopied"] == len(customers) == 5100
        assert len(scored_rows) == len(customers)  # one prediction per input row
        assert set(scored_rows.prediction) <= {0, 1}
        assert sorted(scored_rows.CustomerID) == sorted(customers.CustomerID)
        features = ["Age", "Income", "CreditScore", "AccountBalance"]
        expected = mlflow.pyfunc.load_model(str(model_dir)).predict(scored_rows[features])
        assert (scored_rows.prediction.to_numpy() == expected).all()

        # MLOps: the retraining workflow as a schedule, fired now. The same data and seed train the same
        # model, so deploy-if-better finds no improvement and changes nothing.
        assert "Schedule ml-retraining created; next run at " in _run(example, "retraining_schedule.py")
        with MLClient(path=layout.root) as ml_client:
            fire = ml_client.schedules.trigger("ml-retraining")
            assert fire.target is not None, fire.error
            log = io.StringIO()
            retraining = ml_client.jobs.stream(fire.target, out=log)  # raises if the job failed
            trained = ml_client.jobs.get(_printed(log.getvalue(), "Training job submitted: "))
            rollout = ml_client.online_endpoints.list_rollouts("customer-churn-endpoint")[0]
            endpoint = ml_client.online_endpoints.get("customer-churn-endpoint")
        assert retraining.properties["lakebox.schedule"] == "ml-retraining"
        assert trained.status == "Completed" and trained.experiment_name == "customer-churn-retraining"
        assert f"Training job {trained.name}: Completed" in log.getvalue()
        assert rollout.candidate == f"azureml://jobs/{trained.name}/outputs/model_output"
        assert rollout.status == "NotBetter" and rollout.candidate_score == rollout.production_score
        assert rollout.production_model == "azureml:customer-churn-model:1" and rollout.test_rows == test_rows
        assert endpoint.traffic == {"blue": 100}
    finally:
        stop_server(layout)
