"""The workspace's MLflow tracking server: plain mlflow code logs through it into the workspace store,
and a browser signs in with a one-time link to use the MLflow UI."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import httpx
from mlflow.tracking import MlflowClient

from tests.conftest import RunningWorkspace

TRAIN_SCRIPT = textwrap.dedent(
    """
    import mlflow
    mlflow.set_experiment("churn")
    with mlflow.start_run() as run:
        mlflow.log_param("n_estimators", 100)
        mlflow.log_metric("accuracy", 0.91)
        mlflow.log_text("feature importance", "reports/importance.txt")
    print(run.info.run_id)
    """
)


def test_plain_mlflow_run_lands_in_the_workspace_store(shared_workspace: RunningWorkspace) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("MLFLOW_", "LAKEBOX_TOKEN"))}
    env |= {"MLFLOW_TRACKING_URI": shared_workspace.url + "/mlflow", "MLFLOW_TRACKING_TOKEN": shared_workspace.token}
    result = subprocess.run(
        [sys.executable, "-c", TRAIN_SCRIPT], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    run_id = result.stdout.strip().splitlines()[-1]

    store = MlflowClient(tracking_uri=shared_workspace.layout.mlflow_backend_uri())
    run = store.get_run(run_id)
    assert run.data.params == {"n_estimators": "100"}
    assert run.data.metrics == {"accuracy": 0.91}
    assert store.get_experiment(run.info.experiment_id).name == "churn"
    artifact = (
        shared_workspace.layout.mlflow_artifacts_dir
        / run.info.experiment_id
        / run_id
        / "artifacts"
        / "reports"
        / "importance.txt"
    )
    assert artifact.read_text() == "feature importance"
    with shared_workspace.http() as client:
        entries = client.get("/api/v1/audit", params={"limit": 50}).json()
    operations = {e["details"].get("operation"): e["action"] for e in entries}
    assert operations["mlflow/experiments/create"] == "lakebox/workspaces/experiments/write"
    assert operations["mlflow/runs/create"] == "lakebox/workspaces/experiments/write"
    assert "mlflow/runs/update" in operations
    assert "mlflow/runs/log-parameter" not in operations


def test_mlflow_without_token_fails_clearly(shared_workspace: RunningWorkspace) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLFLOW_")}
    env["MLFLOW_TRACKING_URI"] = shared_workspace.url + "/mlflow"
    result = subprocess.run(
        [sys.executable, "-c", "import mlflow; mlflow.search_experiments()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "this call needs a bearer token" in result.stderr
    assert "MLFLOW_TRACKING_TOKEN" in result.stderr


def test_browser_signs_in_once_and_uses_the_ui(shared_workspace: RunningWorkspace) -> None:
    with shared_workspace.http() as client:
        login_path = client.post("/api/v1/auth/browser-codes").json()["login_path"]
        assert client.post("/api/v1/auth/browser-codes", params={"next": "//evil.example"}).status_code == 400
    with httpx.Client(base_url=shared_workspace.url) as browser:
        assert browser.get("/mlflow/").status_code == 401
        signed_in = browser.get(login_path)
        assert (signed_in.status_code, signed_in.headers["location"]) == (303, "/mlflow/")
        cookie = signed_in.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        page = browser.get("/mlflow/")
        assert page.status_code == 200 and "<title>MLflow</title>" in page.text
        script = page.text.split('src="', 1)[1].split('"', 1)[0]
        assert browser.get(f"/mlflow/{script}").status_code == 200
        assert browser.get("/mlflow/ajax-api/2.0/mlflow/experiments/search?max_results=5").status_code == 200
    with httpx.Client(base_url=shared_workspace.url) as other_browser:
        assert other_browser.get(login_path).status_code == 401  # the link works once
    assert login_path.split("code=")[1].split("&")[0] not in shared_workspace.layout.server_log_file.read_text()
