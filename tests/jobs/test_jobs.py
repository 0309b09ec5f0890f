"""Command jobs on a real server: MLflow wiring, outputs, failures, validation, cancel, queueing, identity."""

from __future__ import annotations

import io
import os
import textwrap
import time
from pathlib import Path

import httpx
import pytest
from mlflow.tracking import MlflowClient

from lakebox import JobFailedError, MLClient, NotFoundError, ValidationError, command
from lakebox.entities import ComputeCluster, Input, Output
from lakebox.runtime.processes import pid_alive
from lakebox.workspace.layout import WorkspaceLayout
from tests.conftest import RunningWorkspace, kill_server, wait_for


@pytest.fixture
def ml_client(shared_workspace: RunningWorkspace) -> MLClient:
    return MLClient(path=shared_workspace.layout.root)


def _code(tmp_path: Path, name: str, source: str) -> Path:
    folder = tmp_path / "src"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(textwrap.dedent(source))
    return folder


def test_job_attaches_to_its_mlflow_run_and_writes_outputs(
    ml_client: MLClient, shared_workspace: RunningWorkspace, tmp_path: Path
) -> None:
    code = _code(
        tmp_path,
        "train.py",
        """
        import argparse, mlflow, os
        parser = argparse.ArgumentParser()
        parser.add_argument("--rate", type=float)
        parser.add_argument("--out")
        args = parser.parse_args()
        with mlflow.start_run():
            mlflow.log_param("rate", args.rate)
            mlflow.log_metric("loss", 0.125)
        open(os.path.join(args.out, "result.txt"), "w").write("ok")
        print("trained with", args.rate)
        """,
    )
    (code / "data.bin").write_bytes(b"x" * 10)
    (code / ".amlignore").write_text("*.bin\n")
    started = time.perf_counter()
    job = ml_client.jobs.create_or_update(
        command(
            code=code,
            command="python train.py --rate ${{inputs.rate}} --out ${{outputs.result}} $[[--missing ${{inputs.nope}}]]",
            inputs={"rate": 0.5},
            outputs={"result": Output(type="uri_folder")},
            experiment_name="job-tests",
            display_name="training",
        )
    )
    assert job.status == "Queued" and time.perf_counter() - started < 2
    assert "--missing" not in job.command
    out = io.StringIO()
    done = ml_client.jobs.stream(job.name, out=out)
    assert "trained with 0.5" in out.getvalue()
    assert done.status == "Completed"
    assert done.metrics == {"loss": 0.125} and done.params == {"rate": "0.5"}
    assert Path(done.outputs["result"].local_path, "result.txt").read_text() == "ok"
    assert done.outputs["result"].path == f"azureml://datastores/workspaceblobstore/paths/azureml/{job.name}/result/"
    run = MlflowClient(tracking_uri=shared_workspace.layout.mlflow_backend_uri()).get_run(done.mlflow_run_id)
    assert (run.info.status, run.info.run_name, run.data.tags["lakebox.job"]) == ("FINISHED", "training", job.name)
    assert not (shared_workspace.layout.jobs_dir / job.name / "code" / "data.bin").exists()


def test_failure_names_its_reason_and_keeps_logs(ml_client: MLClient, shared_workspace: RunningWorkspace) -> None:
    job = ml_client.jobs.create_or_update(command(command="echo about to fail; exit 3"))
    with pytest.raises(JobFailedError, match="Failed: the command exited with code 3\nabout to fail"):
        ml_client.jobs.stream(job.name, out=io.StringIO())
    failed = ml_client.jobs.get(job.name)
    assert failed.error == "the command exited with code 3"
    run = MlflowClient(tracking_uri=shared_workspace.layout.mlflow_backend_uri()).get_run(failed.mlflow_run_id)
    assert run.info.status == "FAILED"


@pytest.mark.parametrize(
    ("job", "error", "message"),
    [
        (dict(command="echo ${{inputs.x}}"), ValidationError, "undefined inputs.x"),
        (dict(command="echo hi", compute="no-such-compute"), NotFoundError, "compute 'no-such-compute' not found"),
        (
            dict(command="cat ${{inputs.d}}", inputs={"d": Input(type="uri_file", path="/no/such/file")}),
            NotFoundError,
            "input d: /no/such/file does not exist",
        ),
        (
            dict(
                command="echo",
                inputs={"d": Input(path="azureml://datastores/workspaceblobstore/paths/../../../etc")},
            ),
            ValidationError,
            "leaves datastore",
        ),
    ],
)
def test_bad_submissions_create_nothing(ml_client: MLClient, job: dict, error: type, message: str) -> None:
    before = len(ml_client.jobs.list(limit=1000))
    with pytest.raises(error, match=message):
        ml_client.jobs.create_or_update(command(**job))
    assert len(ml_client.jobs.list(limit=1000)) == before


def test_cancel_ends_the_whole_process_tree(ml_client: MLClient, shared_workspace: RunningWorkspace) -> None:
    job = ml_client.jobs.create_or_update(command(command="sleep 300 & echo child $! ; wait"))
    log = shared_workspace.layout.jobs_dir / job.name / "user_logs" / "std_log.txt"
    wait_for(lambda: "child" in (log.read_text() if log.exists() else ""), 60, "the job to log its child")
    child = int(log.read_text().split("child")[1].split()[0])
    canceled = ml_client.jobs.begin_cancel(job.name).result()
    assert canceled.status == "Canceled" and canceled.error == f"canceled by {ml_client.identities.whoami().name}"
    wait_for(lambda: not pid_alive(child), 15, "the job's child process to end after the cancel")
    with pytest.raises(Exception, match="already Canceled"):
        ml_client.jobs.begin_cancel(job.name)


def test_download_inputs_are_private_copies(
    ml_client: MLClient, shared_workspace: RunningWorkspace, tmp_path: Path
) -> None:
    data = shared_workspace.layout.default_datastore_dir / "job-inputs" / "table"
    data.mkdir(parents=True)
    (data / "part-0.csv").write_text("a,b\n1,2\n")
    job = ml_client.jobs.create_or_update(
        command(
            command="ls ${{inputs.table}} && echo changed > ${{inputs.table}}/part-0.csv",
            inputs={
                "table": Input(path="azureml://datastores/workspaceblobstore/paths/job-inputs/table", mode="download")
            },
        )
    )
    out = io.StringIO()
    ml_client.jobs.stream(job.name, out=out)
    assert "part-0.csv" in out.getvalue()
    assert (data / "part-0.csv").read_text() == "a,b\n1,2\n"


def test_queue_never_exceeds_the_cluster_size(ml_client: MLClient, tmp_path: Path) -> None:
    ml_client.compute.begin_create_or_update(ComputeCluster(name="two-slots", max_instances=2)).result()
    marks = tmp_path / "marks"
    marks.mkdir()
    script = f"date +%s.%N > {marks}/$LAKEBOX_JOB_NAME.start; sleep 0.6; date +%s.%N > {marks}/$LAKEBOX_JOB_NAME.end"
    jobs = [ml_client.jobs.create_or_update(command(command=script, compute="two-slots")) for _ in range(5)]
    for job in jobs:
        assert ml_client.jobs.stream(job.name, out=io.StringIO()).status == "Completed"
    spans = [
        (float((marks / f"{j.name}.start").read_text()), float((marks / f"{j.name}.end").read_text())) for j in jobs
    ]
    most_at_once = max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans)
    assert most_at_once == 2


def test_a_job_that_outgrows_its_sizes_memory_is_stopped_and_says_so(ml_client: MLClient) -> None:
    ml_client.compute.begin_create_or_update(ComputeCluster(name="tiny", size="Standard_B1s")).result()  # 1 GiB
    hog = "import time; ballast = bytearray(1536 * 2**20); time.sleep(60)"
    started = time.monotonic()
    job = ml_client.jobs.create_or_update(command(command=f'python -c "{hog}"', compute="tiny"))
    with pytest.raises(JobFailedError, match="of memory, more than"):
        ml_client.jobs.stream(job.name, out=io.StringIO())
    assert time.monotonic() - started < 30
    error = ml_client.jobs.get(job.name).error or ""
    assert "more than the 1.00 GiB of its compute size Standard_B1s" in error
    within_limit = ml_client.jobs.create_or_update(
        command(command='python -c "ballast = bytearray(256 * 2**20)"', compute="tiny")
    )
    assert ml_client.jobs.stream(within_limit.name, out=io.StringIO()).status == "Completed"


def test_reader_lists_jobs_but_cannot_submit(shared_workspace: RunningWorkspace) -> None:
    with shared_workspace.http() as owner:
        owner.post("/api/v1/identities", json={"name": "job-reader"})
        owner.post("/api/v1/roleAssignments", json={"assignee": "job-reader", "role": "Reader"})
        token = owner.post("/api/v1/identities/job-reader/tokens", json={}).json()["token"]
    with shared_workspace.http(token) as reader:
        assert reader.get("/api/v1/jobs").status_code == 200
        denied = reader.post("/api/v1/jobs", json={"command": "echo hi"})
    assert denied.status_code == 403
    assert "lakebox/workspaces/jobs/write" in denied.json()["message"]
    with shared_workspace.http() as owner:
        [entry] = owner.get("/api/v1/audit", params={"principal": "job-reader", "outcome": "denied"}).json()
    assert entry["action"] == "lakebox/workspaces/jobs/write"


def test_managed_identity_works_during_the_job_and_not_after(
    ml_client: MLClient, shared_workspace: RunningWorkspace, tmp_path: Path
) -> None:
    code = _code(
        tmp_path,
        "whoami.py",
        """
        import os, httpx
        from lakebox.identity import DefaultAzureCredential
        token = DefaultAzureCredential().get_token("https://management.azure.com/.default")
        print(f"Token acquired: {token.token[:20]}...")
        api = os.environ["MLFLOW_TRACKING_URI"].removesuffix("/mlflow")
        me = httpx.get(api + "/api/v1/identities/me", headers={"Authorization": "Bearer " + token.token})
        print("identity", me.json()["name"])
        open(os.environ["TOKEN_FILE"], "w").write(token.token)
        """,
    )
    token_file = tmp_path / "token"
    job = ml_client.jobs.create_or_update(
        command(code=code, command="python whoami.py", environment_variables={"TOKEN_FILE": str(token_file)})
    )
    out = io.StringIO()
    ml_client.jobs.stream(job.name, out=out)
    assert "Token acquired: lbx_" in out.getvalue()
    assert "identity workspace-managed-identity" in out.getvalue()
    after = httpx.get(
        shared_workspace.url + "/api/v1/workspace", headers={"Authorization": f"Bearer {token_file.read_text()}"}
    )
    assert (after.status_code, after.json()["message"]) == (
        401,
        "the bearer token belonged to a process that has finished",
    )
    assert os.environ.get("IDENTITY_HEADER") is None


@pytest.mark.slow
def test_job_survives_a_server_crash_and_is_reattached(fresh_workspace: WorkspaceLayout) -> None:
    with MLClient(path=fresh_workspace.root) as client:
        job = client.jobs.create_or_update(command(command="echo begin; sleep 4; echo end; exit 0"))
        wait_for(lambda: client.jobs.get(job.name).status == "Running", 60, "the job to run")
    kill_server(fresh_workspace)

    with MLClient(path=fresh_workspace.root) as client:  # starts a new server, which re-attaches
        out = io.StringIO()
        done = client.jobs.stream(job.name, out=out)
    assert done.status == "Completed"
    assert out.getvalue().split() == ["begin", "end"]


def test_download_logs_and_outputs(ml_client: MLClient, tmp_path: Path) -> None:
    job = ml_client.jobs.create_or_update(
        command(
            command="echo logged; echo 42 > ${{outputs.answer}}/value.txt",
            outputs={"answer": Output(type="uri_folder")},
        )
    )
    ml_client.jobs.stream(job.name, out=io.StringIO())
    ml_client.jobs.download(job.name, download_path=tmp_path / "logs-only")
    assert "logged" in (tmp_path / "logs-only" / "artifacts" / "user_logs" / "std_log.txt").read_text()
    assert not (tmp_path / "logs-only" / "named-outputs").exists()
    ml_client.jobs.download(job.name, download_path=tmp_path / "one", output_name="answer")
    assert (tmp_path / "one" / "named-outputs" / "answer" / "value.txt").read_text() == "42\n"
    ml_client.jobs.download(job.name, download_path=tmp_path / "everything", all=True)
    assert (tmp_path / "everything" / "named-outputs" / "answer" / "value.txt").exists()
    assert (tmp_path / "everything" / "artifacts" / "user_logs" / "std_log.txt").exists()
    with pytest.raises(NotFoundError, match="has no output 'missing'; outputs: answer"):
        ml_client.jobs.download(job.name, download_path=tmp_path / "x", output_name="missing")
