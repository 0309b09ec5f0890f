"""Sweep jobs on a real server: trials as real subprocesses logging to MLflow, the best trial named
on the parent, early termination, limits, failures, cancel, YAML, and a server restart mid-sweep."""

from __future__ import annotations

import io
import json
import textwrap
import time
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from lakebox import JobFailedError, MLClient, ValidationError, command
from lakebox.cli.main import main as lakebox
from lakebox.entities import ComputeCluster, Job, Output
from lakebox.jobs.spec_file import load_job_file
from lakebox.sweep import BanditPolicy, Choice, LogUniform, Uniform
from lakebox.workspace.layout import WorkspaceLayout
from tests.conftest import RunningWorkspace, kill_server, wait_for

# Accuracy is a known function of the hyperparameters, so the best trial is known in advance.
TRAIN = """
import argparse, os, time, mlflow
parser = argparse.ArgumentParser()
parser.add_argument("--n_estimators", type=int)
parser.add_argument("--max_depth", type=int)
parser.add_argument("--model")
args = parser.parse_args()
accuracy = 0.5 + args.n_estimators / 1000 + args.max_depth / 100
with mlflow.start_run():
    mlflow.log_param("n_estimators", args.n_estimators)
    mlflow.log_metric("accuracy", accuracy)
open(os.path.join(args.model, "model.txt"), "w").write(f"{args.n_estimators},{args.max_depth}")
"""

# Logs the metric once per step; a "bad" trial stays far below a "good" one.
STEPS = """
import argparse, time, mlflow
parser = argparse.ArgumentParser()
parser.add_argument("--quality")
args = parser.parse_args()
with mlflow.start_run():
    for step in range(20):
        mlflow.log_metric("accuracy", 0.9 if args.quality == "good" else 0.3, step=step)
        time.sleep(0.5)
"""


@pytest.fixture
def ml_client(shared_workspace: RunningWorkspace) -> MLClient:
    return MLClient(path=shared_workspace.layout.root)


def _code(tmp_path: Path, source: str) -> Path:
    folder = tmp_path / "src"
    folder.mkdir(exist_ok=True)
    (folder / "train.py").write_text(textwrap.dedent(source))
    return folder


def _wait(ml_client: MLClient, name: str, timeout: float = 180) -> Job:
    deadline = time.monotonic() + timeout
    while not (job := ml_client.jobs.get(name)).status.terminal:
        assert time.monotonic() < deadline, f"sweep {name} still {job.status}"
        time.sleep(0.2)
    return job


def _spans(trials: list[Job]) -> list[tuple[float, float]]:
    return [(t.started_at.timestamp(), t.ended_at.timestamp()) for t in trials if t.started_at and t.ended_at]


def test_grid_sweep_runs_every_trial_and_names_the_best(
    ml_client: MLClient, shared_workspace: RunningWorkspace, tmp_path: Path
) -> None:
    ml_client.compute.begin_create_or_update(ComputeCluster(name="sweep-cluster", max_instances=2)).result()
    job = command(
        code=_code(tmp_path, TRAIN),
        command="python train.py --n_estimators ${{inputs.n_estimators}} --max_depth ${{search_space.max_depth}} "
        "--model ${{outputs.model}}",
        inputs={"n_estimators": 100},
        outputs={"model": Output(type="uri_folder")},
        experiment_name="sweep-tests",
        compute="sweep-cluster",
    )
    sweep = job(n_estimators=Choice([50, 200])).sweep(
        primary_metric="accuracy",
        goal="Maximize",
        sampling_algorithm="grid",
        search_space={"max_depth": Choice([3, 9])},
        max_concurrent_trials=4,
    )
    submitted = ml_client.jobs.create_or_update(sweep)
    assert (submitted.type, submitted.status) == ("sweep", "Queued")

    out = io.StringIO()
    done = ml_client.jobs.stream(submitted.name, out=out)
    trials = ml_client.jobs.list(parent_job_name=submitted.name)
    assert len(trials) == 4 and all(t.status == "Completed" for t in trials), [(t.status, t.error) for t in trials]
    assert sorted(json.loads(t.tags["hyperparameters"])["n_estimators"] for t in trials) == [50, 50, 200, 200]
    best = done.properties["best_child_run_id"]
    assert json.loads(ml_client.jobs.get(best).tags["hyperparameters"]) == {"n_estimators": 200, "max_depth": 9}
    assert float(done.properties["score"]) == pytest.approx(0.79)
    assert done.metrics["accuracy"] == pytest.approx(0.79)
    assert f"best trial: {best}" in out.getvalue()
    spans = _spans(trials)  # the 2-slot cluster bounds the trials, though the sweep allows 4
    assert max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans) == 2

    ml_client.jobs.download(submitted.name, tmp_path / "best", output_name="model")
    assert (tmp_path / "best" / "named-outputs" / "model" / "model.txt").read_text() == "200,9"
    tracking = MlflowClient(tracking_uri=shared_workspace.layout.mlflow_backend_uri())
    trial_run = tracking.get_run(ml_client.jobs.get(best).mlflow_run_id)
    assert trial_run.data.tags["mlflow.parentRunId"] == done.mlflow_run_id
    log = ml_client.jobs.get(best)
    assert log.parent_job_name == submitted.name


def test_random_sweep_samples_within_bounds_up_to_the_trial_limit(ml_client: MLClient, tmp_path: Path) -> None:
    script = (
        "import os, mlflow; lr = float(os.environ['AZUREML_SWEEP_lr']); "
        "mlflow.log_metric('loss', abs(lr - 0.05)); print('lr', lr, '${{inputs.scale}}')"
    )
    sweep = command(command=f'python -c "{script}"', inputs={"scale": LogUniform(-6, -1), "lr": Uniform(0.01, 0.1)})
    sweep = sweep.sweep(primary_metric="loss", goal="minimize", max_total_trials=3, max_concurrent_trials=3)
    done = ml_client.jobs.stream(ml_client.jobs.create_or_update(sweep).name, out=io.StringIO())
    samples = [json.loads(t.tags["hyperparameters"]) for t in ml_client.jobs.list(parent_job_name=done.name)]
    assert len(samples) == 3
    assert all(0.01 <= s["lr"] <= 0.1 and pow(2.718281828, -6) <= s["scale"] <= pow(2.718281828, -1) for s in samples)
    best = min(samples, key=lambda s: abs(s["lr"] - 0.05))
    assert json.loads(ml_client.jobs.get(done.properties["best_child_run_id"]).tags["hyperparameters"]) == best


def test_bandit_policy_stops_a_trial_far_behind_the_best(
    ml_client: MLClient, shared_workspace: RunningWorkspace, tmp_path: Path
) -> None:
    sweep = command(code=_code(tmp_path, STEPS), command="python train.py --quality ${{inputs.quality}}")(
        quality=Choice(["good", "bad"])
    ).sweep(
        primary_metric="accuracy",
        goal="maximize",
        sampling_algorithm="grid",
        early_termination_policy=BanditPolicy(slack_factor=0.1, evaluation_interval=1, delay_evaluation=2),
    )
    done = _wait(ml_client, ml_client.jobs.create_or_update(sweep).name)
    trials = {
        json.loads(t.tags["hyperparameters"])["quality"]: t for t in ml_client.jobs.list(parent_job_name=done.name)
    }
    assert trials["good"].status == "Completed"
    assert trials["bad"].status == "Canceled"
    assert "stopped early by the bandit policy: accuracy 0.3 at interval" in trials["bad"].error
    assert "slack factor 0.1 of the best, 0.9" in trials["bad"].error
    assert done.status == "Completed" and done.properties["best_child_run_id"] == trials["good"].name
    tracking = MlflowClient(tracking_uri=shared_workspace.layout.mlflow_backend_uri())
    logged = tracking.get_metric_history(trials["bad"].mlflow_run_id, "accuracy")
    assert 3 <= len(logged) < 20  # judged after its delay of 2 intervals, stopped well before its 20 steps


def test_a_sweep_whose_trials_all_fail_says_why(ml_client: MLClient) -> None:
    sweep = command(command="echo 'no such table' >&2; exit 3", inputs={"x": Choice([1, 2])}).sweep(
        primary_metric="accuracy", goal="maximize"
    )
    with pytest.raises(JobFailedError) as failed:
        ml_client.jobs.stream(ml_client.jobs.create_or_update(sweep).name, out=io.StringIO())
    assert "none of the 2 trials completed (2 failed; " in str(failed.value)
    assert "exited with code 3" in str(failed.value)


def test_a_sweep_whose_trials_log_no_primary_metric_fails(ml_client: MLClient) -> None:
    sweep = command(command="echo ${{inputs.x}}", inputs={"x": Choice([1])}).sweep(
        primary_metric="auc", goal="maximize"
    )
    with pytest.raises(JobFailedError, match="no completed trial logged the primary metric 'auc' with MLflow"):
        ml_client.jobs.stream(ml_client.jobs.create_or_update(sweep).name, out=io.StringIO())


def test_trial_timeout_stops_a_slow_trial(ml_client: MLClient) -> None:
    script = "import mlflow, time; mlflow.log_metric('m', 1); time.sleep(${{inputs.wait}})"
    sweep = command(command=f'python -c "{script}"', inputs={"wait": Choice([0, 120])}).sweep(
        primary_metric="m", goal="maximize", sampling_algorithm="grid", trial_timeout=20
    )
    done = _wait(ml_client, ml_client.jobs.create_or_update(sweep).name)
    slow = [t for t in ml_client.jobs.list(parent_job_name=done.name) if t.tags["hyperparameters"] == '{"wait": 120}']
    assert slow[0].status == "Canceled" and "trial_timeout of 20 s" in slow[0].error
    assert done.status == "Completed"


def test_canceling_a_sweep_cancels_its_trials(ml_client: MLClient) -> None:
    sweep = command(command="sleep 60", inputs={"x": Choice([1, 2])}).sweep(primary_metric="m", goal="maximize")
    submitted = ml_client.jobs.create_or_update(sweep)

    def running() -> bool:
        return any(t.status == "Running" for t in ml_client.jobs.list(parent_job_name=submitted.name))

    wait_for(running, 60, "a trial to run")
    assert ml_client.jobs.begin_cancel(submitted.name).result().status == "Canceled"
    trials = ml_client.jobs.list(parent_job_name=submitted.name)
    assert trials and all(t.status == "Canceled" and "was canceled by" in (t.error or "") for t in trials)


@pytest.mark.parametrize(
    ("sweep_command", "message"),
    [
        ("echo ${{search_space.lr}}", "refers to search_space.lr, which the search space does not define"),
        ("echo ${{inputs.missing}} ${{inputs.x}}", "the command refers to undefined inputs.missing"),
    ],
)
def test_bad_sweeps_are_refused_and_create_nothing(ml_client: MLClient, sweep_command: str, message: str) -> None:
    before = len(ml_client.jobs.list(limit=1000))
    sweep = command(command=sweep_command, inputs={"x": Choice([1])}).sweep(primary_metric="m", goal="maximize")
    with pytest.raises(ValidationError, match=message):
        ml_client.jobs.create_or_update(sweep)
    assert len(ml_client.jobs.list(limit=1000)) == before


def test_search_space_mistakes_are_caught_where_the_sweep_is_built() -> None:
    job = command(command="echo ${{inputs.x}}")
    with pytest.raises(ValueError, match="grid sampling takes only choice"):
        job(x=Uniform(0, 1)).sweep(primary_metric="m", goal="maximize", sampling_algorithm="grid")
    with pytest.raises(ValueError, match="bayesian sampling is not supported"):
        job(x=Uniform(0, 1)).sweep(primary_metric="m", goal="maximize", sampling_algorithm="bayesian")
    with pytest.raises(ValueError, match="exactly one of slack_factor and slack_amount"):
        BanditPolicy(slack_factor=0.1, slack_amount=0.2)
    with pytest.raises(ValueError, match="the search space is empty"):
        job.sweep(primary_metric="m", goal="maximize")
    with pytest.raises(ValueError, match="goal"):
        job(x=Choice([1])).sweep(primary_metric="m", goal="best")


def test_submitting_a_command_with_distributions_points_to_sweep(ml_client: MLClient) -> None:
    with pytest.raises(ValidationError, match=r"input\(s\) x are search space distributions; submit job.sweep"):
        ml_client.jobs.create_or_update(command(command="echo ${{inputs.x}}", inputs={"x": Choice([1])}))


def test_sweep_yaml_runs_from_the_cli(
    shared_workspace: RunningWorkspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _code(tmp_path, TRAIN)
    (tmp_path / "sweep.yml").write_text(
        textwrap.dedent(
            """
            $schema: https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json
            type: sweep
            experiment_name: yaml-sweep
            trial:
              code: src
              command: >-
                python train.py --n_estimators ${{search_space.n}} --max_depth ${{inputs.depth}}
                --model ${{outputs.model}}
              environment: azureml:lakebox-default
            inputs:
              depth: 4
            outputs:
              model: {type: uri_folder}
            compute: azureml:local
            sampling_algorithm:
              type: random
              seed: 7
            search_space:
              n: {type: choice, values: [10, 20]}
              lr: {type: loguniform, min_value: -5, max_value: -1}
            objective: {goal: maximize, primary_metric: accuracy}
            limits: {max_total_trials: 2, max_concurrent_trials: 2, timeout: 600}
            early_termination: {type: median_stopping, evaluation_interval: 1, delay_evaluation: 3}
            """
        )
    )
    sweep = load_job_file(tmp_path / "sweep.yml")
    assert sweep.trial.code == str(tmp_path / "src") and sweep.trial.inputs == {"depth": 4}
    assert sweep.sampling_algorithm.seed == 7 and sweep.early_termination.type == "median_stopping"
    path = ["--path", str(shared_workspace.layout.root)]
    assert lakebox(["job", "create", *path, "-f", str(tmp_path / "sweep.yml"), "--stream", "-o", "json"]) == 0
    out = capsys.readouterr().out
    done = json.loads(out[out.index("\n{\n") + 1 :])
    assert (done["type"], done["status"], done["experiment_name"]) == ("sweep", "Completed", "yaml-sweep")
    assert lakebox(["job", "list", *path, "--parent", done["name"], "-o", "json"]) == 0
    trials = json.loads(capsys.readouterr().out)
    assert len(trials) == 2 and done["properties"]["best_child_run_id"] in {t["name"] for t in trials}

    (tmp_path / "bad.yml").write_text("type: sweep\ntrial: {command: echo, image: x}\nobjective: {goal: up}\n")
    with pytest.raises(ValidationError, match=r"bad\.yml: unknown field\(s\) trial\.image"):
        load_job_file(tmp_path / "bad.yml")
    (tmp_path / "bad.yml").write_text("type: sweep\ntrial: {command: echo}\nobjective: {goal: up, primary_metric: m}\n")
    with pytest.raises(ValidationError, match=r"bad\.yml: .*goal"):
        load_job_file(tmp_path / "bad.yml")


@pytest.mark.slow
def test_a_sweep_carries_on_after_a_server_crash(fresh_workspace: WorkspaceLayout) -> None:
    script = "import mlflow, time; time.sleep(2); mlflow.log_metric('m', ${{inputs.x}})"
    sweep = command(command=f'python -c "{script}"', inputs={"x": Choice([1, 2, 3, 4])}).sweep(
        primary_metric="m", goal="maximize", sampling_algorithm="grid", max_concurrent_trials=2
    )
    with MLClient(path=fresh_workspace.root) as client:
        name = client.jobs.create_or_update(sweep).name
        wait_for(lambda: any(t.status == "Running" for t in client.jobs.list(parent_job_name=name)), 60, "a trial")
    kill_server(fresh_workspace)

    with MLClient(path=fresh_workspace.root) as client:  # a new server drives the sweep on
        done = _wait(client, name)
        trials = client.jobs.list(parent_job_name=name)
    assert done.status == "Completed"
    assert sorted(json.loads(t.tags["hyperparameters"])["x"] for t in trials) == [1, 2, 3, 4]
    assert all(t.status == "Completed" for t in trials), [(t.name, t.status, t.error) for t in trials]
    assert json.loads(
        next(t for t in trials if t.name == done.properties["best_child_run_id"]).tags["hyperparameters"]
    ) == {"x": 4}
