"""Online endpoints against a real server, gateway and worker processes: auth, both scoring contracts,
exact answers under batching, traffic rules, crashes and rolling updates under load."""

from __future__ import annotations

import json
import os
import signal
import textwrap
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.models import infer_signature
from sklearn.linear_model import LinearRegression

from lakebox import BadRequestError, ConflictError, MLClient
from lakebox.entities import CodeConfiguration, ManagedOnlineDeployment, ManagedOnlineEndpoint, Model
from lakebox.errors import DeploymentFailedError
from lakebox.security.actions import ENDPOINT_SCORE
from lakebox.serving.process import GatewayClient
from tests.conftest import SKLEARN, RunningWorkspace

SCORE_PY = """
import json, os
import mlflow

def init():
    global model
    model = mlflow.sklearn.load_model("./model")
    print("model dir holds", sorted(os.listdir(os.environ["AZUREML_MODEL_DIR"])))

def run(raw_data):
    data = json.loads(raw_data)
    if data.get("fail"):
        raise RuntimeError("asked to fail")
    return {"predictions": model.predict(data["data"]).tolist(), "pid": os.getpid()}
"""


@pytest.fixture(scope="module")
def models(client: MLClient, tmp_path_factory: pytest.TempPathFactory) -> tuple[Model, Model]:
    """Two versions of an exact linear model: v1 predicts a + 2b, v2 predicts a + 2b + 100."""
    registered = []
    for offset in (0, 100):
        frame = pd.DataFrame({"a": np.arange(50.0), "b": np.arange(50.0) % 7})
        model = LinearRegression().fit(frame, frame.a + 2 * frame.b + offset)
        folder = tmp_path_factory.mktemp("models") / "model"
        mlflow.sklearn.save_model(
            model, folder, signature=infer_signature(frame, model.predict(frame)), pip_requirements=SKLEARN
        )
        registered.append(client.models.create_or_update(Model(path=str(folder), name="exact", type="mlflow_model")))
    return registered[0], registered[1]


SEEN_SECRETS: list[str] = []  # every key and token the tests saw, searched for everywhere at the end


def _scoring(client: MLClient, endpoint: str) -> tuple[str, str]:
    details = client.online_endpoints.get(endpoint)
    keys = client.online_endpoints.get_keys(endpoint)
    assert details.scoring_uri is not None
    SEEN_SECRETS.extend([keys.primary_key, keys.secondary_key])  # type: ignore[union-attr]
    return details.scoring_uri, keys.primary_key  # type: ignore[union-attr]


def _rows(n: int, start: int = 0) -> list[list[float]]:
    return [[float(start + i), float((start + i) % 5)] for i in range(n)]


def _deploy(client: MLClient, endpoint: str, name: str, model: Model, **settings: object) -> ManagedOnlineDeployment:
    deployment = ManagedOnlineDeployment(name=name, endpoint_name=endpoint, model=model, **settings)  # type: ignore[arg-type]
    return client.online_deployments.begin_create_or_update(deployment).result(timeout=120)


@pytest.fixture(scope="module")
def mlflow_endpoint(client: MLClient, models: tuple[Model, Model]) -> str:
    client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="exact-ep")).result()
    _deploy(client, "exact-ep", "blue", models[0], instance_count=2)
    client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="exact-ep", traffic={"blue": 100}))
    return "exact-ep"


def test_registry_versions_archive_and_download(client: MLClient, models: tuple[Model, Model], tmp_path: Path) -> None:
    first, second = models
    assert (first.version, second.version) == ("1", "2") or int(second.version or 0) == int(first.version or 0) + 1
    assert client.models.get("exact").version == second.version
    client.models.archive("exact", second.version)
    assert client.models.get("exact", label="latest").version == first.version
    client.models.restore("exact", second.version)
    assert client.models.get("exact").version == second.version
    target = client.models.download("exact", str(first.version), tmp_path)
    assert (target / "model" / "MLmodel").is_file()
    with pytest.raises(Exception, match="next version"):
        client.models.create_or_update(Model(path=str(target / "model"), name="exact", version="99"))
    with pytest.raises(Exception, match="MLmodel"):
        client.models.create_or_update(Model(path=str(tmp_path), name="not-mlflow", type="mlflow_model"))


def test_an_upload_id_cannot_reach_outside_the_uploads(shared_workspace: RunningWorkspace) -> None:
    with shared_workspace.http() as owner:
        escape = owner.post("/api/v1/models", json={"name": "etc", "upload_id": "../../../../../../etc"})
    assert escape.status_code == 422 and "code snapshot id" in escape.text


def test_registry_is_mlflow_s(
    client: MLClient, models: tuple[Model, Model], shared_workspace: RunningWorkspace
) -> None:
    os.environ["MLFLOW_TRACKING_TOKEN"] = shared_workspace.token
    try:
        mlflow_client = mlflow.MlflowClient(tracking_uri=f"{shared_workspace.url}/mlflow")
        mlflow_client.set_registered_model_alias("exact", "champion", str(models[0].version))
    finally:
        del os.environ["MLFLOW_TRACKING_TOKEN"]
    assert client.models.get("exact", label="champion").version == models[0].version


def test_key_auth_and_regeneration(client: MLClient, mlflow_endpoint: str) -> None:
    uri, primary = _scoring(client, mlflow_endpoint)
    body = {"input_data": {"columns": ["a", "b"], "data": [[1.0, 2.0]]}}
    assert httpx.post(uri, json=body).status_code == 401
    assert httpx.post(uri, json=body, headers={"Authorization": "Bearer nope"}).status_code == 401
    answer = httpx.post(uri, json=body, headers={"Authorization": f"Bearer {primary}"})
    assert answer.status_code == 200 and answer.json() == pytest.approx([5.0])
    assert answer.headers["azureml-model-deployment"] == "blue"
    client.online_endpoints.begin_regenerate_keys(mlflow_endpoint, key_type="primary").result()
    assert httpx.post(uri, json=body, headers={"Authorization": f"Bearer {primary}"}).status_code == 401
    _, fresh = _scoring(client, mlflow_endpoint)
    assert fresh != primary
    assert httpx.post(uri, json=body, headers={"Authorization": f"Bearer {fresh}"}).status_code == 200
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the server collects the gateway's refusals every 2 s
        refused = client.audit.list(action=ENDPOINT_SCORE, outcome="denied")
        refused = [e for e in refused if e.target.endswith("/onlineEndpoints/exact-ep")]
        if sum(int(e.details["count"]) for e in refused) >= 3:
            break
        time.sleep(0.5)
    assert sum(int(e.details["count"]) for e in refused) >= 3, refused
    assert refused[0].status_code == 401 and refused[0].details["client"] == "127.0.0.1"
    assert fresh not in str([e.model_dump() for e in refused]) and primary not in str(refused)


def test_input_formats_and_signature_errors(client: MLClient, mlflow_endpoint: str) -> None:
    uri, key = _scoring(client, mlflow_endpoint)
    headers = {"Authorization": f"Bearer {key}"}
    frame = {"columns": ["a", "b"], "data": [[1, 1], [2, 2]]}
    split = httpx.post(uri, json={"dataframe_split": frame}, headers=headers)
    assert split.json()["predictions"] == pytest.approx([3.0, 6.0])
    records = httpx.post(uri, json={"dataframe_records": [{"a": 1, "b": 0}]}, headers=headers)
    assert records.json()["predictions"] == pytest.approx([1.0])
    missing = httpx.post(uri, json={"dataframe_records": [{"a": 1}]}, headers=headers)
    assert missing.status_code == 400 and "'b'" in missing.json()["error"]
    mistyped = httpx.post(uri, json={"dataframe_records": [{"a": "x", "b": 1}]}, headers=headers)
    assert mistyped.status_code == 422 and "'a'" in mistyped.json()["error"]
    assert httpx.post(uri, content=b"{not json", headers=headers).status_code == 400


def test_concurrent_mixed_requests_each_get_their_own_predictions(client: MLClient, mlflow_endpoint: str) -> None:
    uri, key = _scoring(client, mlflow_endpoint)

    def score(i: int) -> tuple[list[list[float]], httpx.Response]:
        rows = _rows(1 + i % 17, start=i * 100)
        body = {"input_data": {"columns": ["a", "b"], "data": rows}}
        return rows, http.post(uri, json=body, headers={"Authorization": f"Bearer {key}"})

    with httpx.Client(timeout=30) as http, ThreadPoolExecutor(16) as pool:
        results = list(pool.map(score, range(400)))
    for rows, response in results:
        assert response.status_code == 200, response.text
        assert response.json() == pytest.approx([a + 2 * b for a, b in rows])
    metrics = httpx.get(uri.split("/endpoints/")[0] + "/metrics").text
    assert 'lakebox_requests_total{deployment="blue",endpoint="exact-ep",status="200"}' in metrics


def test_custom_score_py(client: MLClient, models: tuple[Model, Model], tmp_path: Path) -> None:
    code = tmp_path / "scoring"
    code.mkdir()
    (code / "score.py").write_text(textwrap.dedent(SCORE_PY))
    client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="script-ep", auth_mode="aml_token"))
    _deploy(
        client, "script-ep", "custom", models[0],
        code_configuration=CodeConfiguration(code=str(code), scoring_script="score.py"),
    )  # fmt: skip
    client.online_endpoints.begin_create_or_update(
        ManagedOnlineEndpoint(name="script-ep", auth_mode="aml_token", traffic={"custom": 100})
    )
    answer = json.loads(client.online_endpoints.invoke("script-ep", body=json.dumps({"data": [[1.0, 1.0]]})))
    assert answer["predictions"] == pytest.approx([3.0])
    with pytest.raises(Exception, match="asked to fail") as raised:
        client.online_endpoints.invoke("script-ep", body=json.dumps({"fail": True}))
    assert "500" in str(raised.value)
    again = json.loads(client.online_endpoints.invoke("script-ep", body=json.dumps({"data": [[2.0, 0.0]]})))
    assert again["pid"] == answer["pid"]  # the worker survived the exception
    logs = client.online_deployments.get_logs("custom", "script-ep", lines=200)
    assert "model dir holds ['model']" in logs and "asked to fail" in logs
    time.sleep(0.7)  # the request log is written twice a second
    requests = client.online_deployments.get_logs("custom", "script-ep", container_type="requests")
    assert " 500 " in requests and " 200 " in requests
    uri = client.online_endpoints.get("script-ep").scoring_uri
    assert uri is not None
    token = client.online_endpoints.get_keys("script-ep").access_token  # type: ignore[union-attr]
    SEEN_SECRETS.append(token)
    assert httpx.post(uri, json={"data": [[0, 0]]}, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert httpx.post(uri, json={"data": [[0, 0]]}, headers={"Authorization": f"Bearer {token}x"}).status_code == 401


def test_a_deployment_that_cannot_start_reports_why_and_takes_no_traffic(
    client: MLClient, models: tuple[Model, Model], tmp_path: Path
) -> None:
    code = tmp_path / "broken"
    code.mkdir()
    (code / "score.py").write_text(
        "def init():\n    raise ImportError('no module named shiny')\n\ndef run(raw):\n    return 1\n"
    )
    client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="broken-ep")).result()
    with pytest.raises(DeploymentFailedError, match="no module named shiny"):
        _deploy(
            client, "broken-ep", "bad", models[0],
            code_configuration=CodeConfiguration(code=str(code), scoring_script="score.py"),
        )  # fmt: skip
    assert client.online_deployments.get("bad", "broken-ep").provisioning_state == "Failed"
    with pytest.raises(BadRequestError, match="cannot take traffic"):
        client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="broken-ep", traffic={"bad": 100}))
    with pytest.raises(BadRequestError, match=r"missing\.py"):
        _deploy(
            client, "broken-ep", "nofile", models[0],
            code_configuration=CodeConfiguration(code=str(code), scoring_script="missing.py"),
        )  # fmt: skip


def test_traffic_split_header_routing_and_mirror(client: MLClient, models: tuple[Model, Model]) -> None:
    client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="split-ep")).result()
    _deploy(client, "split-ep", "blue", models[0])
    _deploy(client, "split-ep", "green", models[1])
    _deploy(client, "split-ep", "shadow", models[1])
    split = {"blue": 70, "green": 30}
    client.online_endpoints.begin_create_or_update(
        ManagedOnlineEndpoint(name="split-ep", traffic=split, mirror_traffic={"shadow": 50})
    )
    uri, key = _scoring(client, "split-ep")
    headers = {"Authorization": f"Bearer {key}"}
    body = {"input_data": {"columns": ["a", "b"], "data": [[1.0, 1.0]]}}
    with httpx.Client(timeout=30) as http:
        served = Counter(http.post(uri, json=body, headers=headers).headers[DEPLOYMENT] for _ in range(600))
        assert set(served) == {"blue", "green"}
        # 600 draws at 30%: the standard deviation is about 11, so 4.5 of them either way is 150..210.
        assert 130 <= served["green"] <= 230, served
        pinned = http.post(uri, json=body, headers={**headers, DEPLOYMENT: "shadow"})
        assert pinned.headers[DEPLOYMENT] == "shadow" and pinned.json() == pytest.approx([103.0])
        time.sleep(0.5)
        metrics = http.get(uri.split("/endpoints/")[0] + "/metrics").text
    mirrored = _counter(metrics, "split-ep", "shadow")
    # Half of the 600 unpinned requests were copied (sd about 12), plus the one pinned request.
    assert 240 <= mirrored <= 360, mirrored


DEPLOYMENT = "azureml-model-deployment"


def _counter(metrics: str, endpoint: str, deployment: str) -> float:
    prefix = f'lakebox_requests_total{{deployment="{deployment}",endpoint="{endpoint}",status="200"}}'
    return sum(float(line.split()[-1]) for line in metrics.splitlines() if line.startswith(prefix))


def test_azure_ml_traffic_rules(client: MLClient, mlflow_endpoint: str) -> None:
    def update(**fields: object) -> None:
        client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name=mlflow_endpoint, **fields))  # type: ignore[arg-type]

    with pytest.raises(BadRequestError, match="add up to 100"):
        update(traffic={"blue": 60})
    with pytest.raises(BadRequestError, match="no deployment 'nope'"):
        update(traffic={"nope": 100})
    with pytest.raises(BadRequestError, match="live traffic"):
        update(mirror_traffic={"blue": 10})
    with pytest.raises(ConflictError, match="100% of"):
        client.online_deployments.begin_delete("blue", mlflow_endpoint)
    assert client.online_endpoints.get(mlflow_endpoint).traffic == {"blue": 100}


def test_a_killed_worker_is_replaced_while_requests_keep_succeeding(
    client: MLClient, mlflow_endpoint: str, shared_workspace: RunningWorkspace
) -> None:
    uri, key = _scoring(client, mlflow_endpoint)
    gateway = GatewayClient(shared_workspace.layout)
    before = gateway.status()[mlflow_endpoint]["blue"].workers
    victim = before[0].pid
    assert victim is not None
    statuses = _under_load(uri, key, lambda: os.kill(victim, signal.SIGKILL))
    assert set(statuses) == {200}, Counter(statuses)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        workers = gateway.status()[mlflow_endpoint]["blue"].workers
        if workers[0].state == "ready" and workers[0].pid != victim:
            break
        time.sleep(0.2)
    assert workers[0].pid != victim and workers[0].restarts >= 1


def test_blue_green_update_under_load_fails_no_request(
    client: MLClient, models: tuple[Model, Model], mlflow_endpoint: str
) -> None:
    uri, key = _scoring(client, mlflow_endpoint)
    update = ManagedOnlineDeployment(name="blue", endpoint_name=mlflow_endpoint, model=models[1], instance_count=2)
    statuses = _under_load(uri, key, lambda: client.online_deployments.begin_create_or_update(update).result(120))
    assert set(statuses) == {200}, Counter(statuses)
    body = {"input_data": {"columns": ["a", "b"], "data": [[1.0, 1.0]]}}
    assert httpx.post(uri, json=body, headers={"Authorization": f"Bearer {key}"}).json() == pytest.approx([103.0])


def _under_load(uri: str, key: str, action: object) -> list[int]:
    """Send requests from 4 threads while ``action`` runs, and for a moment after; their statuses."""
    statuses: list[int] = []
    stop = threading.Event()
    body = {"input_data": {"columns": ["a", "b"], "data": [[1.0, 2.0]]}}

    def load() -> None:
        with httpx.Client(timeout=30) as http:
            while not stop.is_set():
                statuses.append(http.post(uri, json=body, headers={"Authorization": f"Bearer {key}"}).status_code)

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    action()  # type: ignore[operator]
    time.sleep(1.0)
    stop.set()
    for thread in threads:
        thread.join()
    assert len(statuses) > 50
    return statuses


def test_reader_can_see_endpoints_but_not_keys_or_create(
    shared_workspace: RunningWorkspace, mlflow_endpoint: str
) -> None:
    _, token = shared_workspace.new_identity("Reader")
    with shared_workspace.http(token) as http:
        assert http.get(f"/api/v1/onlineEndpoints/{mlflow_endpoint}").status_code == 200
        denied = http.post(f"/api/v1/onlineEndpoints/{mlflow_endpoint}/listKeys")
        assert denied.status_code == 403 and "listKeys" in denied.text
        assert http.put("/api/v1/onlineEndpoints/x", json={"name": "x"}).status_code == 403
        listed = http.get("/api/v1/onlineEndpoints").text
    assert "primary" not in listed and "key_hashes" not in listed


def test_compiled_path_is_used_only_where_it_verifies(client: MLClient, tmp_path: Path) -> None:
    from sklearn.tree import DecisionTreeClassifier

    frame = pd.DataFrame({"a": np.linspace(0, 10, 200), "b": np.linspace(5, -5, 200)})
    labels = (frame.a + frame.b * frame.b > 9).astype(int)
    tree = DecisionTreeClassifier(max_depth=4, random_state=0).fit(frame, labels)
    folder = tmp_path / "tree"
    mlflow.sklearn.save_model(
        tree, folder, signature=infer_signature(frame, labels), input_example=frame.iloc[:50], pip_requirements=SKLEARN
    )
    model = client.models.create_or_update(Model(path=str(folder), name="tree", type="mlflow_model"))
    client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="tree-ep")).result()
    compiled = _deploy(client, "tree-ep", "compiled", model)
    native = _deploy(client, "tree-ep", "native", model, compile_model=False)
    assert compiled.predictor is not None and compiled.predictor.startswith("compiled forest"), compiled.predictor
    assert native.predictor is not None and "switched off" in native.predictor
    uri, key = _scoring(client, "tree-ep")
    rows = frame.sample(40, random_state=1)
    body = {"input_data": {"columns": ["a", "b"], "data": rows.values.tolist()}}
    for name in ("compiled", "native"):
        answer = httpx.post(uri, json=body, headers={"Authorization": f"Bearer {key}", DEPLOYMENT: name})
        assert answer.json() == tree.predict(rows).tolist()


def test_a_served_forest_answers_exactly_as_scikit_learn_on_its_own_split_points_and_missing_values(
    client: MLClient, tmp_path: Path
) -> None:
    from sklearn.ensemble import RandomForestClassifier

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"income": rng.normal(60_000, 20_000, 3_000), "age": rng.integers(18, 80, 3_000) * 1.0})
    labels = ((frame.income > 55_000) ^ (frame.age < 30)).astype(int)
    frame.loc[frame.sample(frac=0.1, random_state=0).index, "income"] = np.nan  # so income is optional in the signature
    forest = RandomForestClassifier(20, max_depth=8, random_state=0).fit(frame, labels)
    signature = infer_signature(frame, labels)
    mlflow.sklearn.save_model(forest, tmp_path / "forest", signature=signature, pip_requirements=SKLEARN)
    model = client.models.create_or_update(Model(path=str(tmp_path / "forest"), name="forest", type="mlflow_model"))
    client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="forest-ep")).result()
    deployed = _deploy(
        client, "forest-ep", "blue", model
    )  # no input example: nothing else would verify a compiled form
    assert deployed.predictor is not None and deployed.predictor.startswith("compiled forest"), deployed.predictor
    client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="forest-ep", traffic={"blue": 100}))

    splits = {
        column: np.unique(np.concatenate([e.tree_.threshold[e.tree_.feature == i] for e in forest.estimators_]))
        for i, column in enumerate(frame.columns)
    }
    rounded = {column: values[np.isfinite(values)].astype(np.float32) for column, values in splits.items()}
    on_splits = {  # each split point as float32 rounds it, and the float32 values either side
        column: np.concatenate([v, np.nextafter(v, np.float32(-np.inf)), np.nextafter(v, np.float32(np.inf))])
        for column, v in rounded.items()
    }
    rows = pd.DataFrame({column: rng.choice(values, 400) for column, values in on_splits.items()}).astype(float)
    rows.loc[::9, "income"] = np.nan
    data = [[None if np.isnan(value) else value for value in row] for row in rows.values.tolist()]  # null: missing
    uri, key = _scoring(client, "forest-ep")
    headers = {"Authorization": f"Bearer {key}"}
    answer = httpx.post(uri, json={"input_data": {"columns": list(rows.columns), "data": data}}, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json() == forest.predict(rows).tolist()

    without_income = httpx.post(uri, json={"input_data": {"columns": ["age"], "data": [[30.0]]}}, headers=headers)
    assert without_income.status_code == 400 and "missing column 'income'" in without_income.text
    too_large = {"input_data": {"columns": ["income", "age"], "data": [[1e39, 30.0]]}}  # past float32, as sklearn says
    refused = httpx.post(uri, json=too_large, headers=headers)
    assert refused.status_code == 400 and "too large for dtype('float32')" in refused.text


def test_a_hung_worker_fails_its_liveness_probe_and_is_replaced(
    client: MLClient, models: tuple[Model, Model], shared_workspace: RunningWorkspace
) -> None:
    from lakebox.entities import ProbeSettings

    client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="live-ep")).result()
    probe = ProbeSettings(initial_delay=0, period=1, timeout=1, failure_threshold=2)
    _deploy(client, "live-ep", "blue", models[0], liveness_probe=probe)
    gateway = GatewayClient(shared_workspace.layout)
    hung = gateway.status()["live-ep"]["blue"].workers[0].pid
    assert hung is not None
    os.kill(hung, signal.SIGSTOP)  # alive to the OS, deaf to everything else
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        worker = gateway.status()["live-ep"]["blue"].workers[0]
        if worker.pid != hung and worker.state == "ready":
            break
        time.sleep(0.2)
    assert worker.pid != hung and worker.restarts == 1
    client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="live-ep", traffic={"blue": 100}))
    answer = client.online_endpoints.invoke("live-ep", body=json.dumps({"input_data": [[1.0, 1.0]]}))
    assert json.loads(answer) == pytest.approx([3.0])


def test_versions_from_a_job_output_and_a_run_record_their_lineage(client: MLClient, tmp_path: Path) -> None:
    from lakebox import command
    from lakebox.entities import Output

    code = tmp_path / "src"
    code.mkdir()
    (code / "train.py").write_text(
        textwrap.dedent(
            """
            import mlflow
            from sklearn.dummy import DummyRegressor
            with mlflow.start_run():
                mlflow.sklearn.log_model(
                    DummyRegressor().fit([[0.0], [1.0]], [2.0, 2.0]), name="model", pip_requirements=["scikit-learn"]
                )
            """
        )
    )
    job = command(code=code, command="python train.py", outputs={"model": Output(type="mlflow_model")})
    job_name = client.jobs.stream(client.jobs.create_or_update(job).name).name
    run_id = client.jobs.get(job_name).mlflow_run_id
    from_job = client.models.create_or_update(
        Model(path=f"azureml://jobs/{job_name}/outputs/model", name="lineage", type="mlflow_model")
    )
    from_run = client.models.create_or_update(Model(path=f"runs:/{run_id}/model", name="lineage", type="mlflow_model"))
    assert (from_job.job_name, from_job.run_id) == (job_name, run_id)
    assert (from_run.job_name, from_run.run_id) == (job_name, run_id)
    assert int(from_run.version or 0) == int(from_job.version or 0) + 1
    with pytest.raises(Exception, match="no artifact or logged model"):
        client.models.create_or_update(Model(path=f"runs:/{run_id}/nothing", name="lineage"))
    with pytest.raises(Exception, match="no output"):
        client.models.create_or_update(Model(path=f"azureml://jobs/{job_name}/outputs/nope", name="lineage"))


@pytest.mark.parametrize("library", ["lightgbm", "xgboost"])
def test_lightgbm_and_xgboost_models_are_compiled_too(client: MLClient, tmp_path: Path, library: str) -> None:
    frame = pd.DataFrame({"a": np.linspace(0, 10, 300), "b": np.sin(np.linspace(0, 20, 300))})
    labels = (frame.a / 10 + frame.b > 0.5).astype(int)
    if library == "lightgbm":
        import lightgbm

        model = lightgbm.LGBMClassifier(n_estimators=30, verbose=-1).fit(frame, labels)
        mlflow.lightgbm.save_model(model, tmp_path / "m", input_example=frame.iloc[:100], pip_requirements=["lightgbm"])
    else:
        import xgboost

        model = xgboost.XGBClassifier(n_estimators=30).fit(frame, labels)
        mlflow.xgboost.save_model(model, tmp_path / "m", input_example=frame.iloc[:100], pip_requirements=["xgboost"])
    registered = client.models.create_or_update(Model(path=str(tmp_path / "m"), name=library, type="mlflow_model"))
    endpoint = f"{library}-ep"
    client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name=endpoint)).result()
    deployed = _deploy(client, endpoint, "blue", registered)
    assert deployed.predictor is not None and deployed.predictor.startswith("onnxruntime"), deployed.predictor
    uri, key = _scoring(client, endpoint)
    rows = frame.sample(50, random_state=2)
    body = {"input_data": {"columns": ["a", "b"], "data": rows.values.tolist()}}
    answer = httpx.post(uri, json=body, headers={"Authorization": f"Bearer {key}", DEPLOYMENT: "blue"})
    assert answer.json() == model.predict(rows).tolist()


def test_deployment_workers_run_as_the_managed_identity_until_deleted(
    client: MLClient, models: tuple[Model, Model], shared_workspace: RunningWorkspace, tmp_path: Path
) -> None:
    code = tmp_path / "identity"
    code.mkdir()
    (code / "score.py").write_text(
        textwrap.dedent(
            """
            from lakebox import MLClient
            from lakebox.identity import DefaultAzureCredential

            def init():
                pass

            def run(raw_data):
                token = DefaultAzureCredential().get_token("https://ml.azure.com/.default").token
                with MLClient() as client:  # LAKEBOX_ENDPOINT: the server, as the managed identity
                    return {"token": token, "models": len(client.models.list())}
            """
        )
    )
    client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="msi-ep")).result()
    code_configuration = CodeConfiguration(code=str(code), scoring_script="score.py")
    _deploy(client, "msi-ep", "worker", models[0], code_configuration=code_configuration)
    answer = json.loads(client.online_endpoints.invoke("msi-ep", body="{}", deployment_name="worker"))
    SEEN_SECRETS.append(answer["token"])
    assert answer["models"] >= 1
    with shared_workspace.http(answer["token"]) as worker:
        assert worker.get("/api/v1/workspace").status_code == 200
        client.online_deployments.begin_delete("worker", "msi-ep")
        assert worker.get("/api/v1/workspace").status_code == 401  # its identity ended with it


def test_zz_no_key_or_token_appears_in_logs_state_or_listings(shared_workspace: RunningWorkspace) -> None:
    """Runs last in this file: every endpoint key and token the tests saw is searched for everywhere."""
    assert len(SEEN_SECRETS) >= 5
    layout = shared_workspace.layout
    with shared_workspace.http() as owner:
        endpoints = owner.get("/api/v1/onlineEndpoints").json()
        listings = [owner.get("/api/v1/audit", params={"limit": 1000}).text, str(endpoints)]
        listings += [owner.get(f"/api/v1/onlineEndpoints/{e['name']}/deployments").text for e in endpoints]
    files = [layout.server_log_file, layout.gateway_log_file, layout.gateway_state_file]
    files += [path for path in layout.serving_dir.rglob("*.log") if path.is_file()]
    exposed = "\n".join(listings + [path.read_text(errors="replace") for path in files])
    for secret in set(SEEN_SECRETS):
        assert secret not in exposed
