"""Deploy-if-better on a real server, gateway and workers: a better candidate is rolled out step by step,
a worse one changes nothing, and a candidate whose answers fail under live traffic is rolled back."""

from __future__ import annotations

import json
import textwrap
import threading
import time
from pathlib import Path

import httpx
import mlflow
import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from lakebox import BadRequestError, MLClient, NotFoundError
from lakebox.cli.main import main as lakebox
from lakebox.entities import (
    CodeConfiguration,
    DeployIfBetter,
    ManagedOnlineDeployment,
    ManagedOnlineEndpoint,
    Model,
)
from lakebox.entities.rollout import FINISHED
from lakebox.workspace.layout import WorkspaceLayout
from tests.conftest import SKLEARN, RunningWorkspace, kill_server, wait_for
from tests.pipelines.test_engine import MSI, STATUS_VARIABLE, act, pipeline, poll_until, publish, run

FEATURES = ["a", "b", "c", "d"]
HELD_OUT = "azureml://datastores/workspaceblobstore/paths/rollout-tests/held-out"
SCORE_PY = """
import json, os
import mlflow

def init():
    global model, broken
    folder = os.path.join(os.environ["AZUREML_MODEL_DIR"], os.listdir(os.environ["AZUREML_MODEL_DIR"])[0])
    model = mlflow.pyfunc.load_model(folder)
    broken = os.path.exists(os.path.join(folder, "broken-in-serving"))

def run(raw_data):
    if broken:
        raise RuntimeError("this model cannot serve")
    return {"predictions": model.predict(json.loads(raw_data)["data"]).tolist()}
"""


def _frame(rows: int, seed: int) -> pd.DataFrame:
    generator = np.random.default_rng(seed)
    frame = pd.DataFrame(generator.normal(size=(rows, 4)), columns=FEATURES)
    frame["target"] = (frame.a + frame.b - frame.c > 0).astype(int)
    return frame


@pytest.fixture(scope="module")
def models(client: MLClient, shared_workspace: RunningWorkspace, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A one-split tree (the production model), a linear model (better), a constant (worse), and the linear
    model again with a marker that makes the test's score.py fail (good offline, broken in serving)."""
    train = _frame(2000, seed=1)
    held_out = _frame(600, seed=2)
    folder = shared_workspace.layout.default_datastore_dir / "rollout-tests" / "held-out"
    folder.mkdir(parents=True, exist_ok=True)
    held_out.to_parquet(folder / "part-0.parquet")
    estimators = {
        "production": DecisionTreeClassifier(max_depth=1, random_state=0),
        "better": LogisticRegression(),
        "worse": DummyClassifier(strategy="most_frequent"),
        "broken": LogisticRegression(),
    }
    registered = {}
    for label, estimator in estimators.items():
        estimator.fit(train[FEATURES], train.target)
        path = tmp_path_factory.mktemp(label) / "model"
        mlflow.sklearn.save_model(estimator, path, pip_requirements=SKLEARN)
        if label == "broken":
            (path / "broken-in-serving").write_text("1")
        model = Model(path=str(path), name="rollout-churn", type="mlflow_model", tags={"kind": label})
        registered[label] = client.models.create_or_update(model)
    return registered


@pytest.fixture(scope="module")
def endpoint(client: MLClient, models: dict, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An endpoint whose blue deployment serves the production model with the test's score.py, with all
    traffic. The tests below run in order on it: worse (nothing changes), broken (rolled back), better."""
    code = tmp_path_factory.mktemp("scoring")
    (code / "score.py").write_text(textwrap.dedent(SCORE_PY))
    client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="rollout-ep")).result()
    deployment = ManagedOnlineDeployment(
        name="blue",
        endpoint_name="rollout-ep",
        model=models["production"],
        code_configuration=CodeConfiguration(code=str(code), scoring_script="score.py"),
    )
    client.online_deployments.begin_create_or_update(deployment).result(timeout=180)
    traffic = ManagedOnlineEndpoint(name="rollout-ep", traffic={"blue": 100})
    client.online_endpoints.begin_create_or_update(traffic).result()
    return "rollout-ep"


class Traffic:
    """Live requests against an endpoint from two threads, counting which deployment answered with what."""

    def __init__(self, client: MLClient, endpoint: str) -> None:
        details = client.online_endpoints.get(endpoint)
        key = client.online_endpoints.get_keys(endpoint).primary_key  # type: ignore[union-attr]
        self._uri, self._headers = str(details.scoring_uri), {"Authorization": f"Bearer {key}"}
        self.answers: list[tuple[str, int]] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._send) for _ in range(2)]

    def _send(self) -> None:
        body = {"data": _frame(3, seed=3)[FEATURES].values.tolist()}
        with httpx.Client(timeout=30) as http:
            while not self._stop.is_set():
                response = http.post(self._uri, json=body, headers=self._headers)
                self.answers.append((response.headers.get("azureml-model-deployment", ""), response.status_code))
                time.sleep(0.02)

    def __enter__(self) -> Traffic:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()


def test_a_worse_candidate_changes_nothing_and_the_decision_says_why(
    client: MLClient, models: dict, endpoint: str
) -> None:
    versions = len(client.models.list("rollout-churn"))
    policy = DeployIfBetter(endpoint_name=endpoint, candidate=models["worse"].id, test_data=HELD_OUT, step_seconds=1)
    rollout = client.online_endpoints.begin_deploy_if_better(policy).result(timeout=120)
    assert rollout.status == "NotBetter"
    assert rollout.candidate_score < rollout.production_score
    assert f"accuracy {rollout.candidate_score:.4f} against production's {rollout.production_score:.4f}" in str(
        rollout.reason
    )
    assert "nothing was changed" in str(rollout.reason)
    assert [d.name for d in client.online_deployments.list(endpoint)] == ["blue"]  # no candidate deployed
    assert client.online_endpoints.get(endpoint).traffic == {"blue": 100}
    assert len(client.models.list("rollout-churn")) == versions
    assert rollout.steps == []


def test_an_error_spike_during_the_shift_sends_traffic_back(client: MLClient, models: dict, endpoint: str) -> None:
    policy = DeployIfBetter(
        endpoint_name=endpoint,
        candidate=models["broken"].id,
        test_data=HELD_OUT,
        traffic_steps=[25, 100],
        step_seconds=30,
        max_error_rate=0.05,
    )
    with Traffic(client, endpoint) as traffic:
        rollout = client.online_endpoints.begin_deploy_if_better(policy).result(timeout=300)
        time.sleep(0.5)  # requests after the rollback
    assert rollout.status == "RolledBack", rollout.reason
    assert rollout.candidate_score > rollout.production_score  # it was better offline
    assert len(rollout.steps) == 1 and rollout.steps[0].traffic == 25 and rollout.steps[0].passed is False
    step = rollout.steps[0]
    assert step.errors == step.requests >= 10 and step.error_rate == 1.0
    assert f"{step.errors} of {step.requests} requests failed" in str(rollout.reason)
    assert "all traffic is back on blue" in str(rollout.reason)
    assert step.ended_at is not None and (step.ended_at - step.started_at).total_seconds() < 15  # of its 30 s
    assert client.online_endpoints.get(endpoint).traffic == {"blue": 100}
    last = traffic.answers[-5:]
    assert all(deployment == "blue" and status == 200 for deployment, status in last)


def test_a_better_candidate_is_registered_deployed_and_given_traffic_step_by_step(
    client: MLClient, models: dict, endpoint: str
) -> None:
    policy = DeployIfBetter(
        endpoint_name=endpoint,
        candidate=models["better"].id,
        test_data=HELD_OUT,
        metric="accuracy",
        min_improvement=0.05,
        traffic_steps=[10, 50, 100],
        step_seconds=2,
        max_error_rate=0.01,
        min_requests=3,
    )
    with Traffic(client, endpoint) as traffic:
        rollout = client.online_endpoints.begin_deploy_if_better(policy).result(timeout=300)
    assert rollout.status == "Succeeded", rollout.reason
    assert rollout.production_deployment == "blue" and rollout.deployment_name == "green"
    assert rollout.test_rows == 600
    assert rollout.improvement == pytest.approx(rollout.candidate_score - rollout.production_score)
    assert rollout.candidate_score > 0.95 > 0.8 > rollout.production_score  # a linear boundary vs one split
    assert [step.traffic for step in rollout.steps] == [10, 50, 100]
    assert all(step.passed and step.requests >= 3 and step.errors == 0 for step in rollout.steps)
    assert rollout.steps[0].requests < rollout.steps[2].requests  # the candidate's share grew
    assert client.online_endpoints.get(endpoint).traffic == {"blue": 0, "green": 100}
    assert client.online_deployments.get("green", endpoint).model == models["better"].id
    assert {status for _, status in traffic.answers} == {200}  # no request failed during the shift
    assert {"blue", "green"} <= {deployment for deployment, _ in traffic.answers}
    decisions = client.online_endpoints.list_rollouts(endpoint)
    assert [d.status for d in decisions] == ["Succeeded", "RolledBack", "NotBetter"]  # latest first


def test_a_pipeline_asks_for_a_rollout_as_its_managed_identity(
    client: MLClient, models: dict, endpoint: str, shared_workspace: RunningWorkspace, tmp_path: Path
) -> None:
    """The pipeline route: a WebActivity posts the policy with MSI, then polls the decision."""
    rollouts = f"{shared_workspace.url}/api/v1/onlineEndpoints/{endpoint}/rollouts"
    policy = DeployIfBetter(endpoint_name=endpoint, candidate=models["worse"].id, test_data=HELD_OUT)
    ask = act("Ask", "WebActivity", method="POST", authentication=MSI, url=rollouts, body=policy.model_dump())
    decided = ["Succeeded", "NotBetter", "RolledBack", "Failed"]
    until = poll_until("WaitForDecision", "Ask", rollouts + "/@{activity('Ask').output.name}", decided)
    publish(client, tmp_path, pipeline("WeeklyRollout", [ask, until], variables=STATUS_VARIABLE))
    finished, _ = run(client, "WeeklyRollout")
    assert finished.status == "Succeeded", finished.message
    decision = client.online_endpoints.list_rollouts(endpoint)[0]
    assert decision.status == "NotBetter" and decision.created_by == "workspace-managed-identity"


def test_decisions_from_the_cli(
    models: dict, endpoint: str, shared_workspace: RunningWorkspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "policy.yml"
    policy.write_text(
        f"endpoint_name: {endpoint}\ncandidate: {models['worse'].id}\ntest_data: {HELD_OUT}\nmin_improvement: 0.01\n"
    )
    path = ["--path", str(shared_workspace.layout.root)]
    assert lakebox(["online-endpoint", "deploy-if-better", *path, "-f", str(policy), "-o", "json"]) == 0
    decided = json.loads(capsys.readouterr().out)
    assert decided["status"] == "NotBetter" and decided["candidate_score"] < decided["production_score"]
    assert lakebox(["online-endpoint", "rollouts", *path, endpoint, "-o", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in listed] == ["NotBetter", "NotBetter", "Succeeded", "RolledBack", "NotBetter"]
    assert lakebox(["online-endpoint", "rollout-show", *path, endpoint, listed[2]["name"], "-o", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [step["traffic"] for step in shown["steps"]] == [10, 50, 100]
    policy.write_text(f"endpoint_name: {endpoint}\ncandidate: x:1\ntest_data: {HELD_OUT}\ntraffic_steps: [50]\n")
    assert lakebox(["online-endpoint", "deploy-if-better", *path, "-f", str(policy)]) != 0
    assert "traffic steps must rise" in capsys.readouterr().err


def test_bad_policies_are_refused_before_anything_runs(
    client: MLClient, models: dict, endpoint: str, shared_workspace: RunningWorkspace
) -> None:
    with pytest.raises(ValueError, match="traffic steps must rise"):
        DeployIfBetter(endpoint_name="x", candidate="m:1", test_data=HELD_OUT, traffic_steps=[50, 10])
    with pytest.raises(ValueError, match="unknown metric"):
        DeployIfBetter(endpoint_name="x", candidate="m:1", test_data=HELD_OUT, metric="auc-ish")
    client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="rollout-empty")).result()
    empty = DeployIfBetter(endpoint_name="rollout-empty", candidate=models["better"].id, test_data=HELD_OUT)
    with pytest.raises(BadRequestError, match="sends no traffic to any deployment"):
        client.online_endpoints.begin_deploy_if_better(empty)
    assert client.online_endpoints.list_rollouts("rollout-empty") == []
    before = len(client.online_endpoints.list_rollouts(endpoint))
    unknown = DeployIfBetter(endpoint_name=endpoint, candidate="rollout-churn:99", test_data=HELD_OUT)
    with pytest.raises(NotFoundError, match="version 99"):
        client.online_endpoints.begin_deploy_if_better(unknown)
    in_place = unknown.model_copy(update={"candidate": models["better"].id, "deployment_name": "green"})
    with pytest.raises(BadRequestError, match="cannot replace the production deployment green in place"):
        client.online_endpoints.begin_deploy_if_better(in_place)
    assert len(client.online_endpoints.list_rollouts(endpoint)) == before  # nothing recorded
    outside = empty.model_dump(mode="json") | {"endpoint_name": endpoint, "test_data": "/etc"}
    with shared_workspace.http() as http:
        response = http.post(f"/api/v1/onlineEndpoints/{endpoint}/rollouts", json=outside)
        assert response.status_code == 400 and "datastore URI" in response.text
        response = http.post("/api/v1/onlineEndpoints/rollout-empty/rollouts", json=outside)
        assert response.status_code == 400 and "the path names" in response.text


@pytest.mark.slow
def test_a_rollout_cut_short_by_a_server_crash_gives_production_all_traffic_back(
    fresh_workspace: WorkspaceLayout, tmp_path: Path
) -> None:
    train, held_out = _frame(2000, seed=1), _frame(600, seed=2)
    folder = fresh_workspace.default_datastore_dir / "rollout-tests" / "held-out"
    folder.mkdir(parents=True)
    held_out.to_parquet(folder / "part-0.parquet")
    for label, estimator in (("production", DecisionTreeClassifier(max_depth=1)), ("better", LogisticRegression())):
        mlflow.sklearn.save_model(
            estimator.fit(train[FEATURES], train.target), tmp_path / label, pip_requirements=SKLEARN
        )
    with MLClient(path=fresh_workspace.root) as client:
        production = client.models.create_or_update(
            Model(path=str(tmp_path / "production"), name="crash-churn", type="mlflow_model")
        )
        better = client.models.create_or_update(
            Model(path=str(tmp_path / "better"), name="crash-churn-candidate", type="mlflow_model")
        )
        client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="crash-ep")).result()
        blue = ManagedOnlineDeployment(name="blue", endpoint_name="crash-ep", model=production)
        client.online_deployments.begin_create_or_update(blue).result(timeout=180)
        client.online_endpoints.begin_create_or_update(
            ManagedOnlineEndpoint(name="crash-ep", traffic={"blue": 100})
        ).result()
        policy = DeployIfBetter(
            endpoint_name="crash-ep", candidate=better.id, test_data=HELD_OUT, traffic_steps=[50, 100], step_seconds=600
        )
        client.online_endpoints.begin_deploy_if_better(policy)
        shifting = wait_for(
            lambda: next(
                (r for r in client.online_endpoints.list_rollouts("crash-ep") if r.status == "Shifting"), None
            ),
            120,
            "the rollout to shift traffic",
        )
        assert client.online_endpoints.get("crash-ep").traffic == {"blue": 50, "green": 50}
    kill_server(fresh_workspace)  # mid-step: half the traffic on a candidate nobody is watching any more

    with MLClient(path=fresh_workspace.root) as client:
        after = wait_for(  # the new server settles what the last one left running, just after it starts
            lambda: (r := client.online_endpoints.get_rollout("crash-ep", shifting.name)).status in FINISHED and r,
            60,
            "the restarted server to end the rollout",
        )
        endpoint = client.online_endpoints.get("crash-ep")
        answer = httpx.post(
            str(endpoint.scoring_uri),
            json={"input_data": {"columns": FEATURES, "data": [[0.5, 0.5, 0.1, 0.0]]}},
            headers={"Authorization": f"Bearer {client.online_endpoints.get_keys('crash-ep').primary_key}"},
            timeout=30,
        )
    assert after.status == "Failed"
    assert after.reason == "the server stopped during the rollout; all traffic is back on blue"
    assert endpoint.traffic == {"blue": 100}
    assert answer.status_code == 200 and answer.headers["azureml-model-deployment"] == "blue"
