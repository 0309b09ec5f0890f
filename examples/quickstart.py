"""`make quickstart`: a workspace with the seed's names, its server, an MLflow run logged through it.

Later issues extend this into the seed's whole workflow (data prep, training job, deployment, batch
scoring, scheduled retraining). Safe to run again: it reuses the workspace and the running server.
"""

from __future__ import annotations

import os
import time

from rich.console import Console
from rich.table import Table

from lakebox import MLClient, NotFoundError
from lakebox.identity import DefaultAzureCredential
from lakebox.workspace import create_workspace, find_workspace

SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE = "your-subscription-id", "rg-ml-workspace", "ml-workspace-prod"
console = Console()


def ensure_workspace() -> str:
    try:
        layout = find_workspace(name=WORKSPACE, resource_group=RESOURCE_GROUP, subscription_id=SUBSCRIPTION)
        return f"reused {layout.root}"
    except NotFoundError:
        layout, _ = create_workspace(SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE)
        return f"created {layout.root}"


def log_training_run(tracking_uri: str, token: str) -> tuple[str, str, float]:
    """Train a small classifier and log it with plain MLflow calls, as a user's train.py would."""
    import mlflow
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import accuracy_score
    from sklearn.model_selection import train_test_split

    os.environ["MLFLOW_TRACKING_TOKEN"] = token
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment("quickstart")
    features, target = make_classification(n_samples=2000, n_features=8, random_state=42)
    x_train, x_test, y_train, y_test = train_test_split(features, target, test_size=0.2, random_state=42)
    with mlflow.start_run(run_name="quickstart-random-forest") as run:
        model = RandomForestClassifier(n_estimators=100, max_depth=10, random_state=42).fit(x_train, y_train)
        accuracy = float(accuracy_score(y_test, model.predict(x_test)))
        mlflow.log_params({"n_estimators": 100, "max_depth": 10})
        mlflow.log_metric("accuracy", accuracy)
        mlflow.sklearn.log_model(model, name="model", input_example=x_test[:2])
    return run.info.experiment_id, run.info.run_id, accuracy


def main() -> None:
    started = time.perf_counter()
    with console.status("Creating the workspace …"):
        workspace_note = ensure_workspace()
    console.print(f"[green]✓[/green] workspace {WORKSPACE}: {workspace_note}")

    with console.status("Starting the workspace server …"):
        ml_client = MLClient(DefaultAzureCredential(), SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE)
        workspace = ml_client.workspaces.get()
    console.print(f"[green]✓[/green] server at {ml_client.base_url}")

    assert workspace.mlflow_tracking_uri is not None
    with console.status("Training a model and logging it to MLflow through the server …"):
        token = DefaultAzureCredential().get_token(workspace.resource_id + "/.default").token
        experiment_id, run_id, accuracy = log_training_run(workspace.mlflow_tracking_uri, token)
    console.print(f"[green]✓[/green] MLflow run {run_id} logged (accuracy {accuracy:.3f})")

    verification = ml_client.audit.verify()
    console.print(
        f"[green]✓[/green] audit log: {verification.entries_checked} entries, chain intact: {verification.ok}"
    )

    summary = Table(title=f"lakebox quickstart — done in {time.perf_counter() - started:.1f}s", show_header=False)
    summary.add_column(style="bold")
    summary.add_column(overflow="fold")
    summary.add_row("workspace folder", str(ml_client.workspace_path))
    summary.add_row("server", ml_client.base_url)
    summary.add_row("REST API docs", f"{ml_client.base_url}/docs")
    summary.add_row("MLflow tracking URI", workspace.mlflow_tracking_uri)
    summary.add_row("MLflow run", f"{workspace.mlflow_tracking_uri}/#/experiments/{experiment_id}/runs/{run_id}")
    summary.add_row("open the MLflow UI", ".venv/bin/lakebox server ui -w " + WORKSPACE)
    summary.add_row("audit log", ".venv/bin/lakebox audit list -w " + WORKSPACE)
    summary.add_row("stop the server", ".venv/bin/lakebox server stop -w " + WORKSPACE)
    console.print(summary)
    ml_client.close()


if __name__ == "__main__":
    main()
