"""Schedules and triggers on a real server: a recurrence fires a real job that records its schedule,
schedule YAML from the CLI, bad schedules refused with nothing stored, and a storage event trigger
that starts a pipeline run when a file lands in a datastore."""

from __future__ import annotations

import io
import json
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lakebox import MLClient, NotFoundError, ValidationError, command
from lakebox.cli.main import main as lakebox
from lakebox.entities import CronTrigger, JobSchedule, RecurrenceTrigger
from tests.conftest import RunningWorkspace, wait_for


@pytest.fixture
def ml_client(shared_workspace: RunningWorkspace) -> Iterator[MLClient]:
    with MLClient(path=shared_workspace.layout.root) as client:
        yield client


def test_a_recurrence_fires_a_real_job_that_records_its_schedule(ml_client: MLClient) -> None:
    start = datetime.now(UTC) - timedelta(seconds=57)  # every minute from here: the next fire is 3 s away
    schedule = JobSchedule(
        name="every-minute",
        trigger=RecurrenceTrigger(frequency="minute", interval=1, start_time=start),
        create_job=command(command="echo scheduled run", experiment_name="scheduled"),
    )
    created = ml_client.schedules.begin_create_or_update(schedule).result()
    assert created.is_enabled and created.next_run_time is not None
    assert abs((created.next_run_time - (start + timedelta(seconds=60))).total_seconds()) < 1

    fire = wait_for(  # recorded first as Running, then given the job it submitted
        lambda: next((f for f in ml_client.schedules.list_fires("every-minute") if f.target), None), 30, "a fire"
    )
    job = ml_client.jobs.stream(str(fire.target), out=io.StringIO())
    assert job.status == "Completed" and job.experiment_name == "scheduled"
    assert job.properties["lakebox.schedule"] == "every-minute"
    assert job.properties["lakebox.scheduled_time"] == fire.scheduled_time.isoformat()
    assert ml_client.schedules.get("every-minute").last_job_name == job.name

    disabled = ml_client.schedules.begin_disable("every-minute").result()
    assert not disabled.is_enabled and disabled.next_run_time is None
    ml_client.schedules.begin_delete("every-minute").result()
    with pytest.raises(NotFoundError):
        ml_client.schedules.get("every-minute")
    assert ml_client.jobs.get(job.name).status == "Completed"  # the jobs it started stay


@pytest.mark.parametrize(
    ("trigger", "job", "error", "message"),
    [
        (CronTrigger(expression="0 25 * * *"), command(command="echo"), ValidationError, "not a cron expression"),
        (
            CronTrigger(expression="0 2 * * 0", time_zone="Nowhere"),
            command(command="echo"),
            ValidationError,
            "time zone",
        ),
        (CronTrigger(expression="0 2 * * 0"), command(command="echo", compute="no-such"), NotFoundError, "no-such"),
        (CronTrigger(expression="0 2 * * 0"), command(command="echo ${{inputs.x}}"), ValidationError, "inputs.x"),
    ],
)
def test_bad_schedules_are_refused_and_nothing_is_stored(
    ml_client: MLClient, trigger: CronTrigger, job: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        ml_client.schedules.begin_create_or_update(JobSchedule(name="bad", trigger=trigger, create_job=job))
    assert "bad" not in {s.name for s in ml_client.schedules.list()}


def test_schedule_yaml_from_the_cli(
    shared_workspace: RunningWorkspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "train.yml").write_text("type: command\ncommand: echo weekly\nexperiment_name: retraining\n")
    (tmp_path / "schedule.yml").write_text(
        textwrap.dedent(
            """
            $schema: https://azuremlschemas.azureedge.net/latest/schedule.schema.json
            name: weekly-retraining
            display_name: Weekly retraining
            trigger:
              type: cron
              expression: "0 2 * * 0"
              time_zone: "Pacific Standard Time"
            create_job: ./train.yml
            """
        )
    )
    path = ["--path", str(shared_workspace.layout.root)]
    assert lakebox(["schedule", "create", *path, "-f", str(tmp_path / "schedule.yml"), "-o", "json"]) == 0
    created = json.loads(capsys.readouterr().out)
    assert created["name"] == "weekly-retraining" and created["trigger"]["time_zone"] == "Pacific Standard Time"
    next_run = datetime.fromisoformat(created["next_run_time"])
    assert next_run.weekday() == 6 and next_run.hour in (9, 10)  # Sunday 2 AM Pacific, in UTC
    assert lakebox(["schedule", "list", *path, "-o", "json"]) == 0
    assert "weekly-retraining" in {s["name"] for s in json.loads(capsys.readouterr().out)}
    assert lakebox(["schedule", "delete", *path, "weekly-retraining"]) == 0


def test_a_storage_event_trigger_starts_a_pipeline_per_arriving_file(
    ml_client: MLClient, shared_workspace: RunningWorkspace, tmp_path: Path
) -> None:
    folder = tmp_path / "artifacts"
    for kind in ("pipeline", "trigger"):
        (folder / kind).mkdir(parents=True)
    (folder / "pipeline" / "Ingest.json").write_text(
        json.dumps(
            {
                "name": "Ingest",
                "properties": {
                    "parameters": {"file": {"type": "String"}, "folder": {"type": "String"}},
                    "activities": [{"name": "Noop", "type": "Wait", "typeProperties": {"waitTimeInSeconds": 0}}],
                },
            }
        )
    )
    (folder / "trigger" / "OnNewCsv.json").write_text(
        json.dumps(
            {
                "name": "OnNewCsv",
                "properties": {
                    "type": "BlobEventsTrigger",
                    "runtimeState": "Started",
                    "typeProperties": {
                        "blobPathBeginsWith": "/workspaceblobstore/blobs/landing/",
                        "blobPathEndsWith": ".csv",
                        "ignoreEmptyBlobs": True,
                        "events": ["Microsoft.Storage.BlobCreated"],
                    },
                    "pipelines": [
                        {
                            "pipelineReference": {"referenceName": "Ingest", "type": "PipelineReference"},
                            "parameters": {"file": "@triggerBody().fileName", "folder": "@triggerBody().folderPath"},
                        }
                    ],
                },
            }
        )
    )
    landing = shared_workspace.layout.root / "datastores" / "workspaceblobstore" / "landing"
    landing.mkdir(parents=True, exist_ok=True)
    (landing / "before.csv").write_text("a\n1\n")  # there before the trigger: never fires
    ml_client.pipelines.publish(folder)
    time.sleep(1.5)  # the scheduler has seen the trigger started
    (landing / "day1").mkdir(exist_ok=True)
    (landing / "day1" / "sales.csv").write_text("a\n1\n")
    (landing / "day1" / "notes.txt").write_text("not a csv")
    (landing / "day1" / "empty.csv").write_text("")

    runs = wait_for(lambda: ml_client.pipelines.list_runs("Ingest"), 30, "a run of Ingest")
    done = ml_client.pipelines.wait(runs[0].run_id, timeout=30)
    assert done.status.value == "Succeeded"
    assert done.parameters == {"file": "sales.csv", "folder": "workspaceblobstore/landing/day1"}
    assert done.invoked_by == {"name": "OnNewCsv", "invokedByType": "BlobEventsTrigger"}
    time.sleep(2)
    assert len(ml_client.pipelines.list_runs("Ingest")) == 1  # once per file; not for .txt, empty or older files
    (fire,) = ml_client.pipelines.trigger_runs("OnNewCsv")
    assert (fire.key, fire.target, fire.status) == ("day1/sales.csv", done.run_id, "Fired")
    ml_client.pipelines.stop_trigger("OnNewCsv")


def test_firing_a_schedule_needs_job_write_as_well(ml_client: MLClient, shared_workspace: RunningWorkspace) -> None:
    job = command(command="echo hello", experiment_name="schedule-tests")
    trigger = CronTrigger(expression="0 2 * * 0")
    ml_client.schedules.begin_create_or_update(JobSchedule(name="owned", trigger=trigger, create_job=job)).result()
    role = {"roleName": "Schedule Operator", "actions": ["lakebox/workspaces/read", "lakebox/workspaces/schedules/*"]}
    with shared_workspace.http() as owner:
        assert owner.put("/api/v1/roleDefinitions", json=role).status_code in (200, 201)
    _, token = shared_workspace.new_identity("Schedule Operator")
    with shared_workspace.http(token) as operator:
        refused = operator.post("/api/v1/schedules/owned/trigger")
        assert refused.status_code == 403 and "jobs/write" in refused.json()["message"]
        assert operator.post("/api/v1/schedules/owned/disable").status_code == 200  # what the role does allow
    assert ml_client.schedules.list_fires("owned") == []
    ml_client.schedules.begin_delete("owned")
