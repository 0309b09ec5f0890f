"""Synapse/ADF ``trigger/`` JSON read into what the scheduler acts on: a schedule trigger's recurrence,
a tumbling window trigger's windows, a storage event trigger's folder, and the pipelines each starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pydantic

from lakebox.entities.pipeline import Artifact
from lakebox.entities.schedule import RecurrenceTrigger
from lakebox.errors import LakeboxError, ValidationError, problems_of
from lakebox.expressions.functions import parse_timestamp
from lakebox.expressions.timespan import parse_timespan
from lakebox.mlops import recurrence

TRIGGER_TYPES = ("ScheduleTrigger", "TumblingWindowTrigger", "BlobEventsTrigger")
BLOB_CREATED = "Microsoft.Storage.BlobCreated"
_BLOB_PATH = re.compile(r"^/(?P<container>[^/]+)/blobs/(?P<prefix>.*)$")
_ACCOUNT = re.compile(r"/storageAccounts/(?P<account>[^/]+)", re.IGNORECASE)


@dataclass(frozen=True)
class PipelineTarget:
    pipeline: str
    parameters: dict[str, Any]


@dataclass(frozen=True)
class TumblingWindow:
    """``[start + k * step, start + (k + 1) * step)`` windows, each run once ``delay`` after it ends."""

    frequency: str
    interval: int
    start: datetime
    end: datetime | None
    delay: timedelta
    max_concurrency: int
    retries: int
    retry_interval: timedelta

    def window(self, index: int) -> tuple[datetime, datetime]:
        return self._edge(index), self._edge(index + 1)

    def index_of(self, window_start: datetime) -> int:
        if self.frequency == "month":
            months = (window_start.year - self.start.year) * 12 + window_start.month - self.start.month
            return months // self.interval
        unit = timedelta(minutes=1) if self.frequency == "minute" else timedelta(hours=1)
        return int((window_start - self.start) / (unit * self.interval))

    def _edge(self, index: int) -> datetime:
        if self.frequency == "month":
            year, month = divmod(self.start.month - 1 + index * self.interval, 12)
            return self.start.replace(year=self.start.year + year, month=month + 1)
        unit = timedelta(minutes=1) if self.frequency == "minute" else timedelta(hours=1)
        return self.start + unit * self.interval * index


@dataclass(frozen=True)
class StorageEvents:
    """Files arriving under ``uri`` (the datastore folder of ``/<container>/blobs/<prefix>``) whose
    name ends with ``suffix``."""

    uri: str
    container: str
    prefix: str
    suffix: str
    ignore_empty: bool

    def folder_path(self, relative_folder: str) -> str:
        """``triggerBody().folderPath``: the container and the folders down to the file."""
        parts = [self.container, *self.prefix.strip("/").split("/"), *relative_folder.split("/")]
        return "/".join(part for part in parts if part not in ("", "."))


def is_started(trigger: Artifact) -> bool:
    return str(trigger.properties.get("runtimeState", "Started")) == "Started"


def kind(trigger: Artifact) -> str:
    return str(trigger.properties.get("type", ""))


def targets(trigger: Artifact) -> list[PipelineTarget]:
    """The pipelines the trigger starts: ``pipelines`` (schedule, storage events) or ``pipeline`` (tumbling window)."""
    references = trigger.properties.get("pipelines") or [trigger.properties.get("pipeline") or {}]
    return [
        PipelineTarget(
            str((ref.get("pipelineReference") or {}).get("referenceName", "")), dict(ref.get("parameters") or {})
        )
        for ref in references
        if ref
    ]


def schedule_recurrence(trigger: Artifact) -> RecurrenceTrigger:
    """A ScheduleTrigger's ``recurrence`` as a recurrence trigger."""
    spec = _type_properties(trigger).get("recurrence") or {}
    pattern = spec.get("schedule") or {}
    try:
        return RecurrenceTrigger.model_validate(
            {
                "frequency": spec.get("frequency"),
                "interval": spec.get("interval", 1),
                "start_time": spec.get("startTime"),
                "end_time": spec.get("endTime"),
                "time_zone": spec.get("timeZone") or "UTC",
                "schedule": {
                    "hours": pattern.get("hours"),
                    "minutes": pattern.get("minutes"),
                    "week_days": pattern.get("weekDays"),
                    "month_days": pattern.get("monthDays"),
                }
                if pattern
                else None,
            }
        )
    except pydantic.ValidationError as exc:
        raise ValidationError(f"trigger {trigger.name}: recurrence: {problems_of(exc)}") from None


def tumbling_window(trigger: Artifact) -> TumblingWindow:
    spec = _type_properties(trigger)
    frequency = str(spec.get("frequency", "")).lower()
    if frequency not in ("minute", "hour", "month"):
        raise ValidationError(f"trigger {trigger.name}: frequency must be Minute, Hour or Month")
    if "startTime" not in spec:
        raise ValidationError(f"trigger {trigger.name}: a tumbling window trigger needs a startTime")
    retry = spec.get("retryPolicy") or {}
    try:
        return TumblingWindow(
            frequency=frequency,
            interval=_positive(spec.get("interval", 1), "interval"),
            start=parse_timestamp(spec["startTime"]).astimezone(UTC),
            end=parse_timestamp(spec["endTime"]).astimezone(UTC) if spec.get("endTime") else None,
            delay=timedelta(seconds=parse_timespan(str(spec.get("delay") or "00:00:00"))),
            max_concurrency=min(_positive(spec.get("maxConcurrency", 1), "maxConcurrency"), 50),
            retries=int(retry.get("count", 0)),
            retry_interval=timedelta(seconds=int(retry.get("intervalInSeconds", 30))),
        )
    except (ValueError, LakeboxError) as exc:
        message = exc.message if isinstance(exc, LakeboxError) else str(exc)
        raise ValidationError(f"trigger {trigger.name}: {message}") from None


def storage_events(trigger: Artifact) -> StorageEvents:
    spec = _type_properties(trigger)
    events = spec.get("events") or [BLOB_CREATED]
    if BLOB_CREATED not in events or len(events) > 1:
        raise ValidationError(f"trigger {trigger.name}: lakebox fires on {BLOB_CREATED} only (not {events})")
    match = _BLOB_PATH.match(str(spec.get("blobPathBeginsWith") or ""))
    if match is None:
        raise ValidationError(f"trigger {trigger.name}: blobPathBeginsWith must be /<container>/blobs/<path>")
    account = _ACCOUNT.search(str(spec.get("scope") or ""))
    container, prefix = match["container"], match["prefix"]
    uri = (
        f"abfss://{container}@{account['account']}.dfs.core.windows.net/{prefix}"
        if account
        else f"azureml://datastores/{container}/paths/{prefix}"
    )
    suffix = str(spec.get("blobPathEndsWith") or "")
    return StorageEvents(uri, container, prefix, suffix, bool(spec.get("ignoreEmptyBlobs", True)))


def problems(trigger: Artifact) -> list[str]:
    """What is wrong with a trigger, for publishing."""
    if kind(trigger) not in TRIGGER_TYPES:
        return [f"trigger {trigger.name}: type {kind(trigger)!r} is not supported ({', '.join(TRIGGER_TYPES)})"]
    if not targets(trigger):
        return [f"trigger {trigger.name}: it starts no pipeline"]
    try:
        if kind(trigger) == "ScheduleTrigger":
            recurrence.check(schedule_recurrence(trigger))
        elif kind(trigger) == "TumblingWindowTrigger":
            tumbling_window(trigger)
        else:
            storage_events(trigger)
    except LakeboxError as exc:
        return [exc.message]
    return []


def _type_properties(trigger: Artifact) -> dict[str, Any]:
    return dict(trigger.properties.get("typeProperties") or {})


def _positive(value: Any, name: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(f"{name} must be at least 1")
    return number
