"""The scheduler's decisions with a controllable clock, over a real metadata store: which fire times
run, the missed-run policy after downtime, tumbling windows with back-fill, concurrency and retries.

A monitor schedule runs on data written as a deployment's data collector writes it. The job runner and the
pipeline engine are stood in for by recorders of what the scheduler asked
them to start (the real ones are exercised end to end in ``test_schedules_on_a_server``)."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from lakebox.entities import (
    CronTrigger,
    DataDriftSignal,
    Datastore,
    Input,
    Job,
    JobCreate,
    MonitorDefinition,
    MonitoringTarget,
    PipelineRun,
    ReferenceData,
    Schedule,
)
from lakebox.entities.datastore import DEFAULT_DATASTORE
from lakebox.entities.pipeline import Artifact, PipelineRunStatus
from lakebox.entities.serving import Collection
from lakebox.entities.sweep import SweepJobCreate
from lakebox.lake.uris import LakeResolver
from lakebox.mlops.scheduler import Scheduler
from lakebox.serving.collector import RequestCollector
from lakebox.store.stores import Stores


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Recorder:
    """Records what it is asked to start; a pipeline run is stored so the scheduler can follow it."""

    stores: Stores
    jobs: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    runs: list[tuple[str, dict[str, Any], dict[str, str]]] = field(default_factory=list)

    def submit_as(
        self, spec: JobCreate | SweepJobCreate, submitted_by: str, properties: dict[str, str] | None = None
    ) -> Job:
        self.jobs.append((str(spec.name), properties or {}))
        fields = {"experiment_name": "x", "command": "", "compute": "local", "environment": "e"}
        return Job(name=str(spec.name), display_name=None, status="Queued", created_at=datetime.now(UTC), **fields)

    def run(self, name: str, parameters: dict[str, Any], invoked_by: dict[str, str]) -> PipelineRun:
        self.runs.append((name, parameters, invoked_by))
        run_id = str(uuid.uuid4())
        run = PipelineRun(
            run_id=run_id, pipeline_name=name, status=PipelineRunStatus.QUEUED, parameters=parameters,
            invoked_by=invoked_by, run_group_id=run_id,
        )  # fmt: skip
        return self.stores.pipelines.create_run(run)

    def rerun(self, run_id: str, *, from_failure: bool, invoked_by: dict[str, str]) -> PipelineRun:
        original = self.stores.pipelines.get_run(run_id)
        return self.run(original.pipeline_name, original.parameters, invoked_by)

    def finish(self, run_id: str, status: PipelineRunStatus) -> None:
        self.stores.pipelines.transition(run_id, PipelineRunStatus.IN_PROGRESS)
        self.stores.pipelines.transition(run_id, status, "boom" if status is PipelineRunStatus.FAILED else "")


@pytest.fixture
def stores(tmp_path: Path) -> Stores:
    return Stores.open(f"sqlite:///{tmp_path / 'meta.db'}", audit_key=b"k" * 32)


def _scheduler(stores: Stores, clock: Clock) -> tuple[Scheduler, Recorder]:
    recorder = Recorder(stores)
    return Scheduler(stores, lambda: recorder, lambda: recorder, lambda: LakeResolver([]), clock), recorder


def _schedule(stores: Stores, trigger: CronTrigger, created: datetime) -> None:
    stores.schedules.schedules.put(
        Schedule(
            name="weekly",
            trigger=trigger,
            create_job=JobCreate(command="python train.py"),
            created_by="owner",
            created_at=created,
            enabled_at=created,
        )
    )


def test_a_cron_schedule_fires_at_its_times_in_its_time_zone(stores: Stores) -> None:
    start = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
    clock = Clock(start)
    scheduler, recorder = _scheduler(stores, clock)
    _schedule(stores, CronTrigger(expression="0 2 * * 0", time_zone="Pacific Standard Time"), start)
    fired_at = []
    while clock.now < datetime(2026, 3, 22, tzinfo=UTC):
        clock.now += timedelta(minutes=30)
        before = len(recorder.jobs)
        scheduler.tick()
        if len(recorder.jobs) > before:
            fired_at.append(clock.now)
    # Sundays 2 AM Pacific: 10:00 UTC, then 09:00 UTC once daylight saving time begins (March 8).
    assert [f"{t:%m-%d %H:%M}" for t in fired_at] == ["03-01 10:00", "03-08 10:00", "03-15 09:00"]
    assert recorder.jobs[0] == (
        "weekly-20260301100000",
        {"lakebox.schedule": "weekly", "lakebox.scheduled_time": "2026-03-01T10:00:00+00:00"},
    )
    assert scheduler.next_run_time(stores.schedules.schedules.get("weekly")) == datetime(2026, 3, 22, 9, tzinfo=UTC)


def test_fires_missed_while_down_run_once_and_none_before_creation(stores: Stores) -> None:
    created = datetime(2026, 3, 1, 0, 0, 30, tzinfo=UTC)
    clock = Clock(created + timedelta(minutes=10, seconds=10))  # the server was down for ten fires
    scheduler, recorder = _scheduler(stores, clock)
    _schedule(stores, CronTrigger(expression="* * * * *"), created)
    scheduler.tick()
    scheduler.tick()
    assert [name for name, _ in recorder.jobs] == ["weekly-20260301001000"]
    (fire,) = stores.schedules.fires("schedule", "weekly")
    assert (fire.missed, fire.target, fire.status) == (9, "weekly-20260301001000", "Fired")


def test_a_disabled_schedule_does_not_fire(stores: Stores) -> None:
    created = datetime(2026, 3, 1, tzinfo=UTC)
    clock = Clock(created + timedelta(hours=2))
    scheduler, recorder = _scheduler(stores, clock)
    _schedule(stores, CronTrigger(expression="* * * * *"), created)
    schedule = stores.schedules.schedules.get("weekly")
    stores.schedules.schedules.put(schedule.model_copy(update={"is_enabled": False}))
    scheduler.tick()
    assert recorder.jobs == []


def _tumbling(max_concurrency: int, retries: int = 0) -> Artifact:
    return Artifact(
        name="hourly",
        properties={
            "type": "TumblingWindowTrigger",
            "runtimeState": "Started",
            "typeProperties": {
                "frequency": "Hour",
                "interval": 1,
                "startTime": "2026-03-01T00:00:00Z",
                "delay": "00:10:00",
                "maxConcurrency": max_concurrency,
                "retryPolicy": {"count": retries, "intervalInSeconds": 60},
            },
            "pipeline": {
                "pipelineReference": {"referenceName": "load", "type": "PipelineReference"},
                "parameters": {"from": "@trigger().outputs.windowStartTime", "to": "@trigger().outputs.windowEndTime"},
            },
        },
    )


def test_tumbling_windows_back_fill_at_most_max_concurrency_at_once(stores: Stores) -> None:
    stores.pipelines.triggers.put(_tumbling(max_concurrency=2))
    clock = Clock(datetime(2026, 3, 1, 3, 5, tzinfo=UTC))  # windows 0-1 and 1-2 are due; 2-3 waits for its delay
    scheduler, recorder = _scheduler(stores, clock)
    scheduler.tick()
    assert [params for _, params, _ in recorder.runs] == [
        {"from": "2026-03-01T00:00:00.0000000Z", "to": "2026-03-01T01:00:00.0000000Z"},
        {"from": "2026-03-01T01:00:00.0000000Z", "to": "2026-03-01T02:00:00.0000000Z"},
    ]
    assert recorder.runs[0][2] == {"name": "hourly", "invokedByType": "TumblingWindowTrigger"}
    clock.now = datetime(2026, 3, 1, 3, 15, tzinfo=UTC)
    scheduler.tick()
    assert len(recorder.runs) == 2  # both slots still busy
    for fire in stores.schedules.fires("trigger", "hourly")[-2:]:
        recorder.finish(str(fire.target), PipelineRunStatus.SUCCEEDED)
    scheduler.tick()
    assert [params["from"][11:16] for _, params, _ in recorder.runs] == ["00:00", "01:00", "02:00"]
    statuses = {f.scheduled_time.hour: f.status for f in stores.schedules.fires("trigger", "hourly")}
    assert statuses == {0: "Succeeded", 1: "Succeeded", 2: "Running"}


def test_a_failed_window_is_retried_then_marked_failed(stores: Stores) -> None:
    stores.pipelines.triggers.put(_tumbling(max_concurrency=1, retries=1))
    clock = Clock(datetime(2026, 3, 1, 1, 15, tzinfo=UTC))
    scheduler, recorder = _scheduler(stores, clock)
    scheduler.tick()
    (fire,) = stores.schedules.fires("trigger", "hourly")
    recorder.finish(str(fire.target), PipelineRunStatus.FAILED)
    clock.now += timedelta(seconds=5)
    scheduler.tick()  # sees the failure
    clock.now += timedelta(seconds=59)
    scheduler.tick()
    assert len(recorder.runs) == 1  # the retry waits its interval (60 s)
    clock.now += timedelta(seconds=2)
    scheduler.tick()
    (fire,) = stores.schedules.fires("trigger", "hourly")
    assert (len(recorder.runs), fire.attempt, fire.status) == (2, 2, "Running")
    recorder.finish(str(fire.target), PipelineRunStatus.FAILED)
    scheduler.tick()
    (fire,) = stores.schedules.fires("trigger", "hourly")
    assert (fire.status, fire.error) == ("Failed", "boom")
    assert [params["from"][11:16] for _, params, _ in recorder.runs] == ["00:00", "00:00"]


def test_a_monitor_schedule_fires_at_its_time_and_a_breach_fires_retraining(stores: Stores, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    generator = np.random.default_rng(0)
    (lake / "training").mkdir(parents=True)
    pd.DataFrame({"x": generator.normal(0, 1, 2000)}).to_parquet(lake / "training" / "part.parquet")
    collection = Collection(folder=str(lake / "modelDataCollector" / "ep" / "blue"), inputs=True, outputs=False,
                            sampling_rate=1.0)  # fmt: skip
    collector = RequestCollector("ep", "blue", collection)
    for value in generator.normal(3, 1, 200):  # far from the training data
        collector.offer(json.dumps({"data": [[value]]}).encode(), 200, b"[0]")
    collector.flush()
    start = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
    clock = Clock(start)
    recorder = Recorder(stores)
    resolver = LakeResolver([Datastore(name=DEFAULT_DATASTORE, path=str(lake), local_path=str(lake))])
    scheduler = Scheduler(stores, lambda: recorder, lambda: recorder, lambda: resolver, clock)
    _schedule(stores, CronTrigger(expression="0 2 * * 3"), start)  # not due before Wednesday
    monitor = MonitorDefinition(
        monitoring_target=MonitoringTarget(endpoint_deployment_id="azureml:ep:blue"),
        monitoring_signals={
            "drift": DataDriftSignal(
                reference_data=ReferenceData(
                    input_data=Input(path=f"azureml://datastores/{DEFAULT_DATASTORE}/paths/training")
                )
            )
        },
        retraining_schedule="weekly",
    )
    fields = {"created_by": "owner", "created_at": start, "enabled_at": start}
    stores.schedules.schedules.put(
        Schedule(name="daily-drift", trigger=CronTrigger(expression="0 3 * * *"), create_monitor=monitor, **fields)
    )

    clock.now = start + timedelta(hours=2, minutes=59)
    scheduler.tick()
    assert stores.schedules.fires("schedule", "daily-drift") == []
    clock.now = start + timedelta(hours=3)
    scheduler.tick()
    deadline = time.monotonic() + 30
    while (fires := stores.schedules.fires("schedule", "daily-drift"))[0].status == "Running":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert fires[0].status == "Breached" and fires[0].scheduled_time == clock.now
    assert fires[0].outputs["signals"]["drift"]["drifted"] == ["x"]
    assert recorder.jobs == [(f"weekly-{clock.now:%Y%m%d%H%M%S}-now", {
        "lakebox.schedule": "weekly", "lakebox.scheduled_time": clock.now.isoformat()})]  # fmt: skip
    assert fires[0].target == recorder.jobs[0][0]
