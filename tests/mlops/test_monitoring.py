"""Monitoring on a real server and gateway: a deployment's data collector writes what it is asked and answers
to Delta tables, and a monitor schedule finds drift in them only once the inputs shift, then fires retraining."""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path

import httpx
import mlflow
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from lakebox import MLClient, NotFoundError
from lakebox.cli.main import main as lakebox
from lakebox.entities import (
    CronTrigger,
    DataCollector,
    DataDriftSignal,
    DeploymentCollection,
    Input,
    JobSchedule,
    ManagedOnlineDeployment,
    ManagedOnlineEndpoint,
    Model,
    MonitorDefinition,
    MonitoringTarget,
    MonitorSchedule,
    ReferenceData,
    command,
)
from lakebox.entities.serving import Collection
from lakebox.errors import BadRequestError
from lakebox.lake import delta
from lakebox.serving.collector import RequestCollector
from tests.conftest import SKLEARN, RunningWorkspace

FEATURES = ["Age", "Income"]
REFERENCE = "azureml://datastores/workspaceblobstore/paths/monitoring-tests/training"
ENDPOINT = "monitored-ep"


def _customers(rows: int, seed: int, age_shift: float = 0.0) -> pd.DataFrame:
    generator = np.random.default_rng(seed)
    frame = pd.DataFrame({"Age": generator.normal(45 + age_shift, 12, rows), "Income": generator.normal(60, 15, rows)})
    frame["target"] = (frame.Age > 50).astype(int)
    return frame


@pytest.fixture(scope="module")
def deployment(client: MLClient, shared_workspace: RunningWorkspace, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A no-code MLflow deployment collecting every request and answer, with its training data on the lake."""
    training = _customers(3000, seed=1)
    folder = shared_workspace.layout.default_datastore_dir / "monitoring-tests" / "training"
    folder.mkdir(parents=True, exist_ok=True)
    training.to_parquet(folder / "part-0.parquet")
    path = tmp_path_factory.mktemp("model") / "model"
    mlflow.sklearn.save_model(
        LogisticRegression().fit(training[FEATURES], training.target), path, pip_requirements=SKLEARN
    )
    model = client.models.create_or_update(Model(path=str(path), name="monitored", type="mlflow_model"))
    client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name=ENDPOINT)).result()
    collector = DataCollector(
        collections={"model_inputs": DeploymentCollection(enabled=True), "model_outputs": DeploymentCollection()}
    )
    blue = ManagedOnlineDeployment(name="blue", endpoint_name=ENDPOINT, model=model, data_collector=collector)
    client.online_deployments.begin_create_or_update(blue).result(timeout=180)
    client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name=ENDPOINT, traffic={"blue": 100}))
    return "blue"


def _send(client: MLClient, frame: pd.DataFrame, rows_per_request: int = 5) -> None:
    details = client.online_endpoints.get(ENDPOINT)
    key = client.online_endpoints.get_keys(ENDPOINT).primary_key  # type: ignore[union-attr]
    with httpx.Client(timeout=30, headers={"Authorization": f"Bearer {key}"}) as http:
        for start in range(0, len(frame), rows_per_request):
            rows = frame[FEATURES].iloc[start : start + rows_per_request].values.tolist()
            body = {"input_data": {"columns": FEATURES, "data": rows}}
            assert http.post(str(details.scoring_uri), json=body).status_code == 200


def _collected(shared_workspace: RunningWorkspace, collection: str, at_least: int) -> pd.DataFrame:
    table = shared_workspace.layout.default_datastore_dir / "modelDataCollector" / ENDPOINT / "blue" / collection
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if delta.is_delta_table(table):
            frame = delta.read_table(table).to_pandas()
            if len(frame) >= at_least:
                return frame
        time.sleep(0.5)
    raise AssertionError(f"fewer than {at_least} rows reached {table}")


def _monitor(retraining: str | None = None, name: str = "drift-monitor") -> MonitorSchedule:
    signal = DataDriftSignal(
        reference_data=ReferenceData(
            input_data=Input(type="uri_folder", path=REFERENCE), data_column_names={"target_column": "target"}
        )
    )
    return MonitorSchedule(
        name=name,
        trigger=CronTrigger(expression="0 3 * * *"),
        create_monitor=MonitorDefinition(
            monitoring_target=MonitoringTarget(endpoint_deployment_id=f"azureml:{ENDPOINT}:blue"),
            monitoring_signals={"drift": signal},
            retraining_schedule=retraining,
        ),
    )


def test_collected_requests_drift_only_once_inputs_shift_and_then_retraining_fires(
    client: MLClient, deployment: str, shared_workspace: RunningWorkspace
) -> None:
    _send(client, _customers(300, seed=2))  # 60 requests like the training data
    inputs = _collected(shared_workspace, "model_inputs", 60)
    outputs = _collected(shared_workspace, "model_outputs", 60)
    assert len(inputs) == len(outputs) == 60
    assert set(inputs.correlationid) == set(outputs.correlationid)
    assert (inputs.status == 200).all() and inputs.deployment.eq("blue").all()
    assert all(len(json.loads(answer)) == 5 for answer in outputs.data)  # five predictions per request

    retrain = command(command="echo retraining", experiment_name="monitoring-tests")
    weekly = JobSchedule(name="retrain-on-drift", trigger=CronTrigger(expression="0 2 * * 0"), create_job=retrain)
    client.schedules.begin_create_or_update(weekly).result()
    client.schedules.begin_create_or_update(_monitor(retraining="retrain-on-drift")).result()

    calm = client.schedules.trigger("drift-monitor")
    signal = calm.outputs["signals"]["drift"]
    assert calm.status == "Succeeded" and calm.target is None, calm.error
    assert signal["judged"] and signal["production_rows"] == 300 and signal["reference_rows"] == 3000
    assert signal["drifted"] == [] and [f["feature"] for f in signal["features"]] == FEATURES  # target left out
    assert client.schedules.list_fires("retrain-on-drift") == []

    _send(client, _customers(1000, seed=3, age_shift=25))  # customers 25 years older
    _collected(shared_workspace, "model_inputs", 260)
    shifted = client.schedules.trigger("drift-monitor")
    assert shifted.status == "Breached" and shifted.outputs["breached"] == ["drift"]
    age = shifted.outputs["signals"]["drift"]["features"][0]
    assert shifted.outputs["signals"]["drift"]["drifted"] == ["Age"] and age["population_stability_index"] > 0.2
    retraining = client.schedules.list_fires("retrain-on-drift")
    assert len(retraining) == 1 and retraining[0].target == shifted.target is not None
    job = client.jobs.get(shifted.target)
    assert job.properties["lakebox.schedule"] == "retrain-on-drift"
    assert client.schedules.list_fires("drift-monitor")[0].status == "Breached"  # kept in the fire history


def test_a_monitor_is_refused_when_it_could_never_run(client: MLClient, deployment: str) -> None:
    with pytest.raises(NotFoundError):
        client.schedules.begin_create_or_update(_monitor(retraining="no-such-schedule", name="bad-monitor"))
    elsewhere = _monitor(name="bad-monitor")
    assert elsewhere.create_monitor is not None
    elsewhere.create_monitor.monitoring_signals["drift"].reference_data.input_data.path = "/etc"
    with pytest.raises(BadRequestError, match="must be a datastore URI"):
        client.schedules.begin_create_or_update(elsewhere)
    unknown = _monitor(name="bad-monitor")
    assert unknown.create_monitor is not None
    unknown.create_monitor.monitoring_target = MonitoringTarget(endpoint_deployment_id=f"azureml:{ENDPOINT}:green")
    with pytest.raises(NotFoundError):
        client.schedules.begin_create_or_update(unknown)
    with pytest.raises(ValueError, match="azureml:<endpoint>:<deployment>"):
        MonitoringTarget(endpoint_deployment_id="just-a-name")
    assert "bad-monitor" not in {s.name for s in client.schedules.list()}


def test_the_collector_keeps_its_sampling_rate(tmp_path: Path) -> None:
    collection = Collection(folder=str(tmp_path), inputs=True, outputs=False, sampling_rate=0.25)
    collector = RequestCollector("ep", "blue", collection)
    for index in range(2000):
        collector.offer(b'{"data": [[%d]]}' % index, 200, b"[1]")
    collector.flush()
    written = delta.read_table(tmp_path / "model_inputs").to_pandas()
    assert 400 <= len(written) <= 600  # 25% of 2000, give or take four standard deviations
    assert not (tmp_path / "model_outputs").exists()


def test_a_monitor_schedule_from_yaml_through_the_cli(
    deployment: str, shared_workspace: RunningWorkspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "monitor.yml").write_text(
        textwrap.dedent(
            f"""
            $schema: http://azureml/sdk-2-0/Schedule.json
            name: yaml-drift-monitor
            trigger:
              type: recurrence
              frequency: day
              interval: 1
              schedule:
                hours: 3
                minutes: 15
            create_monitor:
              compute:
                instance_type: standard_e4s_v3
              monitoring_target:
                ml_task: classification
                endpoint_deployment_id: azureml:{ENDPOINT}:blue
              monitoring_signals:
                advanced_data_drift:
                  type: data_drift
                  reference_data:
                    input_data:
                      path: {REFERENCE}
                      type: uri_folder
                    data_context: training
                    data_column_names:
                      target_column: target
                  features: [Age]
                  lookback_window: P1D
                  metric_thresholds:
                    numerical:
                      jensen_shannon_distance: 0.05
            """
        )
    )
    path = ["--path", str(shared_workspace.layout.root)]
    assert lakebox(["schedule", "create", *path, "-f", str(tmp_path / "monitor.yml")]) == 0
    capsys.readouterr()
    assert lakebox(["schedule", "trigger", *path, "yaml-drift-monitor"]) == 0
    shown = capsys.readouterr().out
    assert "advanced_data_drift" in shown and "Age" in shown and "Income" not in shown
    assert lakebox(["schedule", "delete", *path, "yaml-drift-monitor"]) == 0
