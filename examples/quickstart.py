"""`make quickstart`: the seed's workflow, as far as lakebox runs it so far, on the embedded defaults.

1. a workspace with the seed's names and its server;
2. the Synapse side the guide assumes (setup_synapse.py): dbo.CustomerData in the SQL warehouse,
   the SQL login's password in the vault, the data lake container mapped to the default datastore;
   then the linked services of linkedService/*.json (the seed's AzureMLLinkedService among them);
3. the seed's configure_ml_workspace.py (the Synapse connection) and synapse_data_prep.py (Spark
   reads the warehouse with synapsesql, cleans and splits, writes train/test Delta tables);
4. the seed's training_pipeline.py: a compute cluster, an environment from a conda file, a command
   job running the seed's train.py on those Delta tables with MLflow;
5. the trained model downloaded to ./model, and the seed's deploy_model.py: the model registered,
   an online endpoint with key auth, the blue deployment running the seed's score.py, 100% traffic;
   then one scoring request with the endpoint's key;
6. batch scoring: the batch endpoint the seed's pipeline names (create_batch_endpoint.py), then the
   seed's batch_scoring_pipeline.json with its datasets, published and run: dbo.CustomerData copied to
   the lake, scored by the batch endpoint, the predictions loaded into dbo.ChurnPredictions;
7. MLOps: the seed's weekly retraining workflow as a schedule (retraining_schedule.py), fired once now: its
   job runs scripts/trigger_training.py, monitor_job.py and deploy_if_better.py as the workspace's managed
   identity, and the retrained model replaces the endpoint's only if it scores better on the test data;
8. the audit log verified, and a summary of where everything is.

Each seed script runs from examples/seed as its own process, unchanged but for its imports and
client construction (and the seed's data bugs, listed in the README). Safe to run again.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from lakebox import MLClient, NotFoundError
from lakebox.cli.main import main as lakebox_cli
from lakebox.entities import CronTrigger
from lakebox.identity import DefaultAzureCredential
from lakebox.workspace import create_workspace, find_workspace

SEED = Path(__file__).parent / "seed"
SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE = "your-subscription-id", "rg-ml-workspace", "ml-workspace-prod"
ENDPOINT, MODEL = "customer-churn-endpoint", "customer-churn-model"
PREDICTIONS = "dbo.ChurnPredictions"
console = Console()


def ensure_workspace() -> str:
    try:
        layout = find_workspace(name=WORKSPACE, resource_group=RESOURCE_GROUP, subscription_id=SUBSCRIPTION)
        return f"reused {layout.root}"
    except NotFoundError:
        layout, _ = create_workspace(SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE)
        return f"created {layout.root}"


def run_seed_script(script: str) -> list[str]:
    """Run one of the seed's scripts from its folder, showing its output; returns the lines it printed."""
    console.print(f"[bold]Running the seed's {script}[/bold]")
    process = subprocess.Popen(
        [sys.executable, script], cwd=SEED, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        if not _is_spark_noise(line):
            console.print(f"  [dim]{line.rstrip()}[/dim]", highlight=False)
        lines.append(line.rstrip())
    if process.wait() != 0:
        raise SystemExit(f"{script} failed with exit code {process.returncode}")
    return lines


def _is_spark_noise(line: str) -> bool:
    return line.startswith(("[Stage ", "WARNING: Using incubator", "Using Spark's default", "To adjust logging")) or (
        " WARN " in line
    )


def download_model(ml_client: MLClient, job_name: str) -> None:
    """The job's model_output into examples/seed/model, where deploy_model.py registers it from."""
    target = SEED / "model"
    with tempfile.TemporaryDirectory() as folder:
        ml_client.jobs.download(job_name, download_path=folder, output_name="model_output")
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(Path(folder) / "named-outputs" / "model_output", target)
    console.print(f"[green]✓[/green] model of job {job_name} downloaded to {target.relative_to(SEED.parent)}")


def printed_value(lines: list[str], prefix: str) -> str:
    """What the script printed after ``prefix`` (e.g. the job name after "Training job submitted: ")."""
    return next(line.split(prefix, 1)[1].split()[0] for line in lines if prefix in line)


def run_batch_scoring(ml_client: MLClient) -> str:
    """The seed's batch scoring pipeline, end to end; a line for the summary."""
    run_seed_script("create_batch_endpoint.py")
    published = ml_client.pipelines.publish(SEED)
    console.print(
        f"[green]✓[/green] published pipeline {', '.join(published['pipelines'])} "
        f"with datasets {', '.join(published['datasets'])}"
    )
    ml_client.warehouse.query(f"DROP TABLE IF EXISTS {PREDICTIONS}")  # the pipeline's Copy appends; start clean
    with console.status("Running BatchScoringPipeline (warehouse -> lake -> batch endpoint -> warehouse) …"):
        run = ml_client.pipelines.wait(ml_client.pipelines.run("BatchScoringPipeline").run_id)
    for activity in ml_client.pipelines.activity_runs(run.run_id):
        console.print(
            f"  [dim]{activity.activity_name} ({activity.activity_type}): {activity.status.value} "
            f"in {(activity.duration_ms or 0) / 1000:.1f}s[/dim]"
        )
    if run.status != "Succeeded":
        raise SystemExit(f"BatchScoringPipeline {run.status}: {run.message}")
    rows = ml_client.warehouse.query(f"SELECT count(*) AS n, sum(prediction) AS churn FROM {PREDICTIONS}").to_pylist()[
        0
    ]
    line = f"{rows['n']} rows in {PREDICTIONS} ({rows['churn']} predicted to churn), run {run.run_id}"
    console.print(f"[green]✓[/green] batch predictions: {line}")
    return line


def run_retraining(ml_client: MLClient) -> tuple[str, str]:
    """The retraining schedule, created and fired once; lines for the summary (the schedule, the decision)."""
    run_seed_script("retraining_schedule.py")
    schedule = ml_client.schedules.get("ml-retraining")
    fire = ml_client.schedules.trigger("ml-retraining")
    console.print(f"[bold]Fired schedule ml-retraining now: job {fire.target}[/bold] (its log follows)")
    assert fire.target is not None, fire.error
    ml_client.jobs.stream(fire.target)
    job = ml_client.jobs.get(fire.target)
    if job.status != "Completed":
        raise SystemExit(f"the retraining job {job.name} ended {job.status}: {job.error}")
    rollout = ml_client.online_endpoints.list_rollouts(ENDPOINT)[0]
    console.print(f"[green]✓[/green] retraining job {job.name} {job.status}; deploy-if-better: {rollout.status}")
    trigger = schedule.trigger
    assert isinstance(trigger, CronTrigger)
    schedule_line = (
        f"{schedule.name}: cron '{trigger.expression}' ({trigger.time_zone}), next run "
        f"{schedule.next_run_time:%Y-%m-%d %H:%M} UTC; fired once now as job {job.name}"
    )
    return schedule_line, f"{rollout.status}: {rollout.reason}"


def main() -> None:
    started = time.perf_counter()
    with console.status("Creating the workspace …"):
        workspace_note = ensure_workspace()
    console.print(f"[green]✓[/green] workspace {WORKSPACE}: {workspace_note}")

    with console.status("Starting the workspace server …"):
        ml_client = MLClient(DefaultAzureCredential(), SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE)
        workspace = ml_client.workspaces.get()
    console.print(f"[green]✓[/green] server at {ml_client.base_url}")

    run_seed_script("setup_synapse.py")
    console.print("[bold]lakebox linked-service create -f linkedService/[/bold] (Set-AzSynapseLinkedService)")
    if lakebox_cli(["linked-service", "create", "-f", str(SEED / "linkedService"), "-w", WORKSPACE]) != 0:
        raise SystemExit("creating the linked services failed")
    run_seed_script("configure_ml_workspace.py")
    prep = run_seed_script("synapse_data_prep.py")
    train_rows, test_rows = printed_value(prep, "Training data: "), printed_value(prep, "Testing data: ")
    console.print(f"[green]✓[/green] customer features (Delta): {train_rows} training rows, {test_rows} test rows")

    job = ml_client.jobs.get(printed_value(run_seed_script("training_pipeline.py"), "Training job submitted: "))
    console.print(f"[green]✓[/green] job {job.name} {job.status}: accuracy {job.metrics['accuracy']:.3f}")

    download_model(ml_client, job.name)
    run_seed_script("deploy_model.py")
    endpoint = ml_client.online_endpoints.get(ENDPOINT)
    sample = {"data": [[42, 55000.0, 680, 12000.0]]}  # Age, Income, CreditScore, AccountBalance
    answer = json.loads(json.loads(ml_client.online_endpoints.invoke(ENDPOINT, body=json.dumps(sample))))
    console.print(f"[green]✓[/green] endpoint {ENDPOINT} answers {answer}")

    batch = run_batch_scoring(ml_client)
    schedule_line, decision = run_retraining(ml_client)

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
    summary.add_row("rows prepared", f"{train_rows} training, {test_rows} test (Delta tables on workspaceblobstore)")
    summary.add_row("SQL warehouse", f".venv/bin/lakebox sql 'SELECT count(*) FROM dbo.CustomerData' -w {WORKSPACE}")
    summary.add_row("training job", f"{job.name} ({job.status}, environment {job.environment}, compute {job.compute})")
    summary.add_row("model metrics", ", ".join(f"{k} {v:.4f}" for k, v in sorted(job.metrics.items())))
    summary.add_row(
        "MLflow run",
        f"{workspace.mlflow_tracking_uri}/#/experiments/{job.mlflow_experiment_id}/runs/{job.mlflow_run_id}",
    )
    summary.add_row("model (MLflow format)", job.outputs["model_output"].local_path)
    summary.add_row("registered model", f"{MODEL}:{ml_client.models.get(MODEL).version}")
    summary.add_row("online endpoint", f"{endpoint.scoring_uri} (traffic {endpoint.traffic})")
    summary.add_row("sample invocation", f"{json.dumps(sample)} -> {json.dumps(answer)}")
    summary.add_row("invoke it yourself", f".venv/bin/lakebox online-endpoint invoke {ENDPOINT} -w {WORKSPACE} -r FILE")
    summary.add_row("batch predictions", batch)
    summary.add_row("retraining schedule", schedule_line)
    summary.add_row("deploy if better", decision)
    summary.add_row("rollout decisions", f".venv/bin/lakebox online-endpoint rollouts {ENDPOINT} -w {WORKSPACE}")
    summary.add_row("pipeline runs", f".venv/bin/lakebox pipeline runs -w {WORKSPACE}; ... pipeline show RUN_ID")
    summary.add_row("open the MLflow UI", f".venv/bin/lakebox server ui -w {WORKSPACE}")
    summary.add_row(
        "jobs and audit log", f".venv/bin/lakebox job list -w {WORKSPACE}; .venv/bin/lakebox audit list -w {WORKSPACE}"
    )
    summary.add_row("stop the server", f".venv/bin/lakebox server stop -w {WORKSPACE}")
    console.print(summary)
    ml_client.close()


if __name__ == "__main__":
    main()
