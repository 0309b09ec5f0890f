"""The scheduler of a workspace server: fires job schedules and Synapse/ADF pipeline triggers.

One thread wakes every second and, for each enabled schedule and started trigger, works out what
is due from the fire record in the store, so a restart loses nothing:

- **Job schedules** submit their job, and **monitor schedules** compute their monitor's signals
  (firing the retraining schedule a breached signal names), at their recurrence, as **schedule
  triggers** start their pipelines. Fire times missed while the server was down are run once, at
  the latest of them, when it starts again (the fire says how many were missed); nothing fires
  for the time before a schedule was created or enabled, or before a trigger was published.
- **Tumbling window triggers** run every window from ``startTime`` on, back-filling the past, at
  most ``maxConcurrency`` at once, each retried as ``retryPolicy`` says.
- **Storage event triggers** run once per file that arrives (or changes) in their folder after
  they were published, with ``triggerBody().fileName`` and ``folderPath``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from lakebox.entities import Job, JobCreate, PipelineRun
from lakebox.entities.pipeline import Artifact, PipelineRunStatus
from lakebox.entities.schedule import CronTrigger, RecurrenceTrigger, Schedule, ScheduleFire
from lakebox.entities.sweep import SweepJobCreate
from lakebox.errors import ConflictError, LakeboxError, failure_reason
from lakebox.expressions.functions import format_timestamp, utc_now
from lakebox.expressions.language import Scope, evaluate
from lakebox.lake.uris import LakeResolver
from lakebox.mlops import triggers
from lakebox.mlops.monitor import MonitorRunner
from lakebox.mlops.recurrence import fires_between, next_fire
from lakebox.store.stores import Stores

_logger = logging.getLogger(__name__)
_TICK_SECONDS = 1.0
_SETTLE_SECONDS = 1.0  # a file is taken once it has not changed for this long
STARTED = "Started"  # the fire record's anchor row: when a trigger was first seen started
SCHEDULE_PROPERTY = "lakebox.schedule"
SCHEDULED_TIME_PROPERTY = "lakebox.scheduled_time"
NOW_KEY = "now"  # the fire record's key for a schedule fired on request, beside its recurrence


class JobLauncher(Protocol):
    def submit_as(
        self, spec: JobCreate | SweepJobCreate, submitted_by: str, properties: dict[str, str] | None = None
    ) -> Job: ...


class PipelineLauncher(Protocol):
    def run(self, name: str, parameters: dict[str, Any], invoked_by: dict[str, str]) -> PipelineRun: ...

    def rerun(self, run_id: str, *, from_failure: bool, invoked_by: dict[str, str]) -> PipelineRun: ...


class Scheduler:
    def __init__(
        self,
        stores: Stores,
        jobs: Callable[[], JobLauncher],
        pipelines: Callable[[], PipelineLauncher],
        lake: Callable[[], LakeResolver],
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._stores, self._jobs, self._pipelines, self._lake, self._clock = stores, jobs, pipelines, lake, clock
        self._fires = stores.schedules
        self.monitors = MonitorRunner(stores, lake)
        self._seen_files: dict[str, set[tuple[str, int]]] = {}
        self._wake = threading.Event()
        self._stopping = False

    def start(self) -> None:
        threading.Thread(target=self._tick_forever, name="scheduler", daemon=True).start()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    def _tick_forever(self) -> None:
        while not self._stopping:
            self.tick()
            self._wake.wait(_TICK_SECONDS)

    def tick(self) -> None:
        """Fire whatever is due now."""
        now = self._clock()
        for schedule in self._fires.schedules.list():
            if schedule.is_enabled:
                self._guarded(f"schedule {schedule.name}", self._schedule, schedule, now)
        for trigger in self._stores.pipelines.triggers.list():
            if triggers.is_started(trigger):
                handler = _HANDLERS.get(triggers.kind(trigger))
                if handler:
                    self._guarded(f"trigger {trigger.name}", handler, self, trigger, now)

    def next_run_time(self, schedule: Schedule) -> datetime | None:
        last = self._fires.last("schedule", schedule.name)
        after = max(self._clock(), last.scheduled_time if last else schedule.enabled_at)
        return next_fire(schedule.trigger, after, schedule.created_at) if schedule.is_enabled else None

    def _due(
        self,
        source: str,
        name: str,
        trigger: CronTrigger | RecurrenceTrigger,
        since: datetime,
        now: datetime,
        default_start: datetime,
    ) -> list[datetime]:
        """The fire times in ``(the last fire, or since, now]``: usually none or one; several after downtime."""
        last = self._fires.last(source, name)
        after = max(since, last.scheduled_time) if last else since
        return list(fires_between(trigger, after, now, default_start))

    @staticmethod
    def _guarded(what: str, handler: Callable[..., None], *args: Any) -> None:
        try:
            handler(*args)
        except Exception:
            _logger.exception("%s could not fire", what)

    # Job schedules

    def _schedule(self, schedule: Schedule, now: datetime) -> None:
        due = self._due("schedule", schedule.name, schedule.trigger, schedule.enabled_at, now, schedule.created_at)
        if due:
            self._fire(schedule, due[-1], now, missed=len(due) - 1)

    def fire_now(self, name: str) -> ScheduleFire:
        """Fire a schedule once, now, beside its recurrence; a monitor's signals are computed before this returns."""
        now = self._clock()
        fire = self._fire(self._fires.schedules.get(name), now, now, key=NOW_KEY, wait=True)
        if fire is None:
            raise ConflictError(f"schedule {name} was already fired at {now:%Y-%m-%d %H:%M:%S}")
        return fire

    def _fire(
        self, schedule: Schedule, time: datetime, now: datetime, *, missed: int = 0, key: str = "", wait: bool = False
    ) -> ScheduleFire | None:
        """Record the fire, then submit the job or run the monitor (in the background unless ``wait``)."""
        fire = ScheduleFire(
            source="schedule", name=schedule.name, scheduled_time=time, fired_at=now, status="Running",
            missed=missed, key=key,
        )  # fmt: skip
        if not self._fires.record(fire):
            return None
        if schedule.create_monitor is None:
            return self._submit(schedule, fire)
        if wait:
            return self._monitor(schedule, fire)
        monitor = threading.Thread(target=self._monitor, args=(schedule, fire), name=f"monitor-{schedule.name}")
        monitor.daemon = True
        monitor.start()
        return fire

    def _submit(self, schedule: Schedule, fire: ScheduleFire) -> ScheduleFire:
        assert schedule.create_job is not None
        suffix = f"-{fire.key}" if fire.key else ""
        spec = schedule.create_job.model_copy(
            update={"name": f"{schedule.name}-{fire.scheduled_time:%Y%m%d%H%M%S}{suffix}"}
        )
        properties = {SCHEDULE_PROPERTY: schedule.name, SCHEDULED_TIME_PROPERTY: fire.scheduled_time.isoformat()}
        try:
            job = self._jobs().submit_as(spec, schedule.created_by, properties)
        except LakeboxError as exc:
            return self._update(fire, status="Failed", error=exc.message)
        return self._update(fire, status="Fired", target=job.name)

    def _monitor(self, schedule: Schedule, fire: ScheduleFire) -> ScheduleFire:
        """Compute the monitor's signals; if any is breached, fire its retraining schedule."""
        definition = schedule.create_monitor
        assert definition is not None
        try:
            outputs = self.monitors.run(definition, fire.scheduled_time)
        except Exception as exc:
            return self._update(fire, status="Failed", error=failure_reason(exc, _logger, f"monitor {schedule.name}"))
        retraining = None
        if outputs["breached"] and definition.retraining_schedule:
            try:
                retraining = self.fire_now(definition.retraining_schedule)
            except LakeboxError as exc:
                outputs["retraining_error"] = exc.message
        status = "Breached" if outputs["breached"] else "Succeeded"
        return self._update(fire, status=status, outputs=outputs, target=retraining.target if retraining else None)

    def _update(self, fire: ScheduleFire, **fields: Any) -> ScheduleFire:
        self._fires.update(fire.source, fire.name, fire.scheduled_time, fire.key, **fields)
        return fire.model_copy(update=fields)

    # Pipeline triggers

    def _schedule_trigger(self, trigger: Artifact, now: datetime) -> None:
        anchor = self._anchor(trigger, now)
        if anchor is None:
            return
        due = self._due("trigger", trigger.name, triggers.schedule_recurrence(trigger), anchor, now, anchor)
        if due:
            scope = {"scheduledTime": format_timestamp(due[-1]), "startTime": format_timestamp(now)}
            self._start_pipelines(trigger, due[-1], now, scope, {}, missed=len(due) - 1)

    def _tumbling_window_trigger(self, trigger: Artifact, now: datetime) -> None:
        windows = triggers.tumbling_window(trigger)
        running = 0
        for fire in self._fires.unfinished("trigger", trigger.name):
            running += self._follow_window(trigger, windows, fire, now)
        last = self._fires.last("trigger", trigger.name)
        index = windows.index_of(last.scheduled_time) + 1 if last else 0
        while running < windows.max_concurrency:
            start, end = windows.window(index)
            if (windows.end and end > windows.end) or now < end + windows.delay:
                return
            outputs = {"windowStartTime": format_timestamp(start), "windowEndTime": format_timestamp(end)}
            scope = {"scheduledTime": format_timestamp(end), "startTime": format_timestamp(now)}
            self._start_pipelines(trigger, start, now, scope, outputs)
            running, index = running + 1, index + 1

    def _follow_window(
        self, trigger: Artifact, windows: triggers.TumblingWindow, fire: ScheduleFire, now: datetime
    ) -> int:
        """Bring a window's fire up to date with its run; 1 while it still holds a concurrency slot."""
        if fire.target is None:
            return 0
        run = self._stores.pipelines.get_run(fire.target)
        if not run.status.terminal:
            return 1
        if run.status is PipelineRunStatus.SUCCEEDED:
            self._fires.update("trigger", trigger.name, fire.scheduled_time, status="Succeeded")
            return 0
        if fire.attempt > windows.retries:
            self._fires.update("trigger", trigger.name, fire.scheduled_time, status="Failed", error=run.message)
            return 0
        if fire.status == "Running":  # failed just now: wait the retry interval from here
            self._fires.update("trigger", trigger.name, fire.scheduled_time, status="Waiting", fired_at=now)
        elif now >= fire.fired_at + windows.retry_interval:
            invoked_by = {"name": trigger.name, "invokedByType": "TumblingWindowTrigger"}
            retry = self._pipelines().rerun(run.run_id, from_failure=False, invoked_by=invoked_by)
            self._fires.update(
                "trigger", trigger.name, fire.scheduled_time, status="Running", fired_at=now, target=retry.run_id,
                attempt=fire.attempt + 1,
            )  # fmt: skip
        return 1

    def _storage_event_trigger(self, trigger: Artifact, now: datetime) -> None:
        anchor = self._anchor(trigger, now)
        if anchor is None:
            return
        events = triggers.storage_events(trigger)
        folder = self._lake().resolve(events.uri).local_path
        seen = self._seen_files.setdefault(trigger.name, set())
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            arrival = self._arrival(events, folder, path, anchor, now, seen)
            if arrival is not None:
                folder_path = events.folder_path(path.relative_to(folder).parent.as_posix())
                outputs = {"body": {"fileName": path.name, "folderPath": folder_path}}
                scope = {"startTime": format_timestamp(now)}
                self._start_pipelines(trigger, arrival[0], now, scope, outputs, key=arrival[1])

    @staticmethod
    def _arrival(
        events: triggers.StorageEvents,
        folder: Path,
        path: Path,
        anchor: datetime,
        now: datetime,
        seen: set[tuple[str, int]],
    ) -> tuple[datetime, str] | None:
        """``(time, key)`` of a file that should fire now; None for one that should not (or did)."""
        if not path.is_file() or not path.name.endswith(events.suffix):
            return None
        stat = path.stat()
        key = path.relative_to(folder).as_posix()
        changed = datetime.fromtimestamp(stat.st_mtime, UTC)
        if (events.ignore_empty and stat.st_size == 0) or changed <= anchor or (key, stat.st_mtime_ns) in seen:
            return None
        if (now - changed).total_seconds() < _SETTLE_SECONDS:
            return None  # still being written
        seen.add((key, stat.st_mtime_ns))
        return changed, key

    def _anchor(self, trigger: Artifact, now: datetime) -> datetime | None:
        """When the trigger was first seen started (recorded on first sight; None then)."""
        if (anchor := self._fires.anchor("trigger", trigger.name)) is not None:
            return anchor
        self._fires.record(
            ScheduleFire(
                source="trigger", name=trigger.name, scheduled_time=now, fired_at=now, status=STARTED, key=STARTED
            )
        )
        return None

    def _start_pipelines(
        self,
        trigger: Artifact,
        scheduled: datetime,
        now: datetime,
        scope: dict[str, Any],
        outputs: dict[str, Any],
        *,
        missed: int = 0,
        key: str = "",
    ) -> None:
        fire = ScheduleFire(
            source="trigger", name=trigger.name, scheduled_time=scheduled, fired_at=now, status="Running",
            missed=missed, key=key, outputs=outputs,
        )  # fmt: skip
        if not self._fires.record(fire):
            return
        context = Scope(trigger={"name": trigger.name, **scope, "outputs": outputs})
        invoked_by = {"name": trigger.name, "invokedByType": triggers.kind(trigger)}
        started, errors = [], []
        for target in triggers.targets(trigger):
            try:
                parameters = evaluate(target.parameters, context)
                started.append(self._pipelines().run(target.pipeline, dict(parameters or {}), invoked_by).run_id)
            except (LakeboxError, ValueError) as exc:
                errors.append(f"{target.pipeline}: {exc.message if isinstance(exc, LakeboxError) else exc}")
        status = (
            "Failed"
            if errors and not started
            else "Running"
            if triggers.kind(trigger) == "TumblingWindowTrigger"
            else "Fired"
        )
        self._fires.update(
            "trigger", trigger.name, scheduled, key, status=status, target=",".join(started) or None,
            error="; ".join(errors) or None,
        )  # fmt: skip


_HANDLERS: dict[str, Callable[[Scheduler, Artifact, datetime], None]] = {
    "ScheduleTrigger": Scheduler._schedule_trigger,
    "TumblingWindowTrigger": Scheduler._tumbling_window_trigger,
    "BlobEventsTrigger": Scheduler._storage_event_trigger,
}
