"""Activities on Azure ML's side: AzureMLBatchExecution (the seed's shape), the documented v2 route (a
WebActivity invoking the batch endpoint as the pipeline's identity, then polling the job), and
AzureMLExecutePipeline re-running a job."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression
from tests.conftest import SKLEARN, RunningWorkspace
from tests.pipelines.test_engine import MSI, STATUS_VARIABLE, act, pipeline, poll_until, run

from lakebox import MLClient
from lakebox.entities import BatchEndpoint, Datastore, Model, ModelBatchDeployment, command

ML = {"referenceName": "Workspace", "type": "LinkedServiceReference"}


@pytest.fixture(scope="module")
def setup(client: MLClient, shared_workspace: RunningWorkspace, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A batch endpoint predicting a + 2b, a lake with input files, and the artifacts that name them."""
    frame = pd.DataFrame({"a": np.arange(20.0), "b": np.arange(20.0) % 3})
    folder = tmp_path_factory.mktemp("ml-model") / "model"
    mlflow.sklearn.save_model(LinearRegression().fit(frame, frame.a + 2 * frame.b), folder, pip_requirements=SKLEARN)
    model = client.models.create_or_update(Model(path=str(folder), name="pipeline-exact", type="mlflow_model"))
    client.batch_endpoints.begin_create_or_update(BatchEndpoint(name="pipeline-scorer")).result()
    deployment = ModelBatchDeployment(name="main", endpoint_name="pipeline-scorer", model=model.id)
    client.batch_deployments.begin_create_or_update(deployment).result()
    lake = tmp_path_factory.mktemp("ml-lake")
    client.datastores.create_or_update(
        Datastore(name="mllake", type="azure_blob", path=str(lake), account_name="mllake", container_name="data")
    )
    (lake / "in").mkdir()
    frame.assign(id=range(20)).to_parquet(lake / "in" / "rows.parquet")
    artifacts = tmp_path_factory.mktemp("ml-artifacts")
    workspace = client.workspaces.get().name
    files = {
        "linkedService/Workspace.json": {
            "type": "AzureMLService",
            "typeProperties": {
                "subscriptionId": "s",
                "resourceGroupName": "r",
                "mlWorkspaceName": workspace,
                "authentication": "MSI",
            },
        },
        "linkedService/MlLake.json": {
            "type": "AzureBlobFS",
            "typeProperties": {"url": "https://mllake.dfs.core.windows.net/"},
        },
        "dataset/Rows.json": {
            "type": "Parquet",
            "linkedServiceName": {"referenceName": "MlLake"},
            "typeProperties": {"location": {"type": "AzureBlobFSLocation", "fileSystem": "data", "folderPath": "in"}},
        },
        "dataset/Scored.json": {
            "type": "DelimitedText",
            "linkedServiceName": {"referenceName": "MlLake"},
            "typeProperties": {
                "location": {
                    "type": "AzureBlobFSLocation",
                    "fileSystem": "data",
                    "folderPath": "out",
                    "fileName": "scored.csv",
                }
            },
        },
    }
    for name, properties in files.items():
        (artifacts / name).parent.mkdir(exist_ok=True)
        (artifacts / name).write_text(json.dumps({"name": Path(name).stem, "properties": properties}))
    client.pipelines.publish(artifacts)
    return lake


def _publish(client: MLClient, tmp_path: Path, definition: dict[str, Any]) -> None:
    (tmp_path / "pipeline").mkdir()
    (tmp_path / "pipeline" / "p.json").write_text(json.dumps(definition))
    client.pipelines.publish(tmp_path)


def test_batch_execution_scores_a_dataset_into_a_dataset(client: MLClient, setup: Path, tmp_path: Path) -> None:
    batch = act(
        "Score",
        "AzureMLBatchExecution",
        mlEndpointName="pipeline-scorer",
        inputDatasets=[{"name": "input_data", "dataset": {"referenceName": "Rows", "type": "DatasetReference"}}],
        outputDatasets=[{"name": "predictions", "dataset": {"referenceName": "Scored", "type": "DatasetReference"}}],
    )
    _publish(client, tmp_path, pipeline("BatchViaActivity", [batch | {"linkedServiceName": ML}]))
    finished, _ = run(client, "BatchViaActivity")
    assert finished.status == "Succeeded", finished.message
    scored = pd.read_csv(setup / "out" / "scored.csv")
    np.testing.assert_allclose(scored.prediction, scored.a + 2 * scored.b, atol=1e-6)
    assert sorted(scored.id) == list(range(20))
    output = client.pipelines.activity_runs(finished.run_id)[0].output
    assert client.jobs.get(output["jobName"]).tags["batch_endpoint"] == "pipeline-scorer"


def test_a_failed_scoring_job_fails_the_activity_with_its_reason(client: MLClient, setup: Path, tmp_path: Path) -> None:
    (setup / "bad").mkdir(exist_ok=True)
    pd.DataFrame({"a": [1.0]}).to_csv(setup / "bad" / "x.csv", index=False)
    (tmp_path / "dataset").mkdir()
    (tmp_path / "dataset" / "Bad.json").write_text(
        json.dumps(
            {
                "name": "Bad",
                "properties": {
                    "type": "DelimitedText",
                    "linkedServiceName": {"referenceName": "MlLake"},
                    "typeProperties": {
                        "location": {"type": "AzureBlobFSLocation", "fileSystem": "data", "folderPath": "bad"}
                    },
                },
            }
        )
    )
    batch = act(
        "Score",
        "AzureMLBatchExecution",
        mlEndpointName="pipeline-scorer",
        inputDatasets=[{"name": "input_data", "dataset": {"referenceName": "Bad", "type": "DatasetReference"}}],
        paramsOverride={"retry_settings.max_retries": 0},
    ) | {"linkedServiceName": ML}
    _publish(client, tmp_path, pipeline("BatchFails", [batch]))
    finished, _ = run(client, "BatchFails")
    assert finished.status == "Failed"
    assert "the input has no column 'b'" in finished.message


def test_the_documented_v2_route_web_activity_invoke_then_poll(
    client: MLClient, setup: Path, shared_workspace: RunningWorkspace, tmp_path: Path
) -> None:
    invoke = act(
        "Invoke",
        "WebActivity",
        method="POST",
        authentication=MSI,
        url=f"{shared_workspace.url}/api/v1/batchEndpoints/pipeline-scorer/invoke",
        body={"input": {"type": "uri_folder", "path": str(setup / "in")}},
    )
    job = f"{shared_workspace.url}/api/v1/jobs/@{{activity('Invoke').output.name}}"
    until = poll_until("WaitForJob", "Invoke", job, ["Completed", "Failed", "Canceled"])
    check = act(
        "MustComplete",
        "IfCondition",
        {"WaitForJob": ["Succeeded"]},
        expression={"type": "Expression", "value": "@equals(variables('status'), 'Completed')"},
        ifFalseActivities=[
            act("JobFailed", "Fail", message="@concat('job ended ', variables('status'))", errorCode="Job")
        ],
    )
    _publish(
        client,
        tmp_path,
        pipeline("V2Route", [invoke, until, check], variables=STATUS_VARIABLE),
    )
    finished, _ = run(client, "V2Route")
    assert finished.status == "Succeeded", finished.message
    job_name = next(
        a.output["name"] for a in client.pipelines.activity_runs(finished.run_id) if a.activity_name == "Invoke"
    )
    assert client.jobs.get(job_name).status == "Completed"


def test_execute_ml_pipeline_runs_a_job_again_with_new_inputs(client: MLClient, setup: Path, tmp_path: Path) -> None:
    template = client.jobs.create_or_update(
        command(command="echo greeting=${{inputs.greeting}}", inputs={"greeting": "hello"})
    )
    client.jobs.stream(template.name, out=io.StringIO())
    again = act(
        "Again",
        "AzureMLExecutePipeline",
        mlPipelineId=template.name,
        mlPipelineParameters={"greeting": "again"},
        experimentName="from-pipeline",
    ) | {"linkedServiceName": ML}
    _publish(client, tmp_path, pipeline("Rerun", [again]))
    finished, _ = run(client, "Rerun")
    assert finished.status == "Succeeded", finished.message
    job = client.jobs.get(client.pipelines.activity_runs(finished.run_id)[0].output["jobName"])
    assert job.command == "echo greeting=again" and job.experiment_name == "from-pipeline"
    assert job.tags["pipeline_run_id"] == finished.run_id
