"""`make quickstart`: the seed's workflow, as far as lakebox runs it so far, on the embedded defaults.

1. a workspace with the seed's names and its server;
2. customer features under the datastore paths the seed's training reads (a stand-in for the
   Spark preparation until that lands);
3. the seed's training_pipeline.py, unchanged but for its imports: a compute cluster, an environment
   from a conda file, a command job running the seed's train.py with MLflow;
4. the audit log verified, and a summary of where everything is.

Safe to run again: it reuses the workspace and its server.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from lakebox import MLClient, NotFoundError
from lakebox.identity import DefaultAzureCredential
from lakebox.workspace import create_workspace, find_workspace

SEED = Path(__file__).parent / "seed"
SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE = "your-subscription-id", "rg-ml-workspace", "ml-workspace-prod"
console = Console()


def ensure_workspace() -> str:
    try:
        layout = find_workspace(name=WORKSPACE, resource_group=RESOURCE_GROUP, subscription_id=SUBSCRIPTION)
        return f"reused {layout.root}"
    except NotFoundError:
        layout, _ = create_workspace(SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE)
        return f"created {layout.root}"


def prepare_data(datastore: Path) -> tuple[int, int]:
    sys.path.insert(0, str(SEED))
    from sample_data import write

    return write(datastore)  # type: ignore[no-any-return]


def run_training_pipeline() -> str:
    """Run the seed's training_pipeline.py from its folder, streaming its output; returns the job name."""
    process = subprocess.Popen(
        [sys.executable, "training_pipeline.py"], cwd=SEED, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None
    job_name = ""
    for line in process.stdout:
        console.print(f"  [dim]{line.rstrip()}[/dim]", highlight=False)
        if line.startswith("Training job submitted: "):
            job_name = line.split(": ", 1)[1].strip()
    if process.wait() != 0:
        raise SystemExit(f"training_pipeline.py failed with exit code {process.returncode}")
    return job_name


def main() -> None:
    started = time.perf_counter()
    with console.status("Creating the workspace …"):
        workspace_note = ensure_workspace()
    console.print(f"[green]✓[/green] workspace {WORKSPACE}: {workspace_note}")

    with console.status("Starting the workspace server …"):
        ml_client = MLClient(DefaultAzureCredential(), SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE)
        workspace = ml_client.workspaces.get()
    console.print(f"[green]✓[/green] server at {ml_client.base_url}")

    assert ml_client.workspace_path is not None
    datastore = ml_client.workspace_path / "datastores" / "workspaceblobstore"
    train_rows, test_rows = prepare_data(datastore)
    console.print(f"[green]✓[/green] customer features: {train_rows} training rows, {test_rows} test rows")

    console.print("[bold]Running the seed's training_pipeline.py[/bold] (compute, environment, command job):")
    job = ml_client.jobs.get(run_training_pipeline())
    console.print(f"[green]✓[/green] job {job.name} {job.status}: accuracy {job.metrics['accuracy']:.3f}")

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
    summary.add_row("MLflow tracking URI", str(workspace.mlflow_tracking_uri))
    summary.add_row("rows prepared", f"{train_rows} training, {test_rows} test")
    summary.add_row("training job", f"{job.name} ({job.status}, environment {job.environment}, compute {job.compute})")
    summary.add_row("model metrics", ", ".join(f"{k} {v:.4f}" for k, v in sorted(job.metrics.items())))
    summary.add_row(
        "MLflow run",
        f"{workspace.mlflow_tracking_uri}/#/experiments/{job.mlflow_experiment_id}/runs/{job.mlflow_run_id}",
    )
    summary.add_row("model (MLflow format)", job.outputs["model_output"].local_path)
    summary.add_row("open the MLflow UI", f".venv/bin/lakebox server ui -w {WORKSPACE}")
    summary.add_row(
        "jobs and audit log", f".venv/bin/lakebox job list -w {WORKSPACE}; .venv/bin/lakebox audit list -w {WORKSPACE}"
    )
    summary.add_row("stop the server", f".venv/bin/lakebox server stop -w {WORKSPACE}")
    console.print(summary)
    ml_client.close()


if __name__ == "__main__":
    main()
