"""Job schedules with Azure ML's shapes: ``JobSchedule`` with a ``CronTrigger`` or a ``RecurrenceTrigger``.

Times without an offset are wall-clock times in the trigger's ``time_zone`` (a Windows name such as
``"Pacific Standard Time"``, as Azure takes them, or an IANA name), as in Azure ML.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from lakebox.entities.command import Command, SweepJob
from lakebox.entities.job import JobCreate
from lakebox.entities.monitor import MonitorDefinition
from lakebox.entities.sweep import SweepJobCreate

_STRICT = ConfigDict(extra="forbid")
SCHEDULE_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,200}$"
WEEK_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, int | str) else value


class RecurrencePattern(BaseModel):
    """When in each period a recurrence fires: ``hours`` x ``minutes``, on ``week_days`` (weekly) or
    ``month_days`` (monthly; -1 is the month's last day)."""

    model_config = _STRICT

    hours: list[Annotated[int, Field(ge=0, le=23)]] | None = None
    minutes: list[Annotated[int, Field(ge=0, le=59)]] | None = None
    week_days: list[str] | None = None
    month_days: list[Annotated[int, Field(ge=-31, le=31)]] | None = None

    _lists = field_validator("hours", "minutes", "week_days", "month_days", mode="before")(_as_list)

    @field_validator("week_days")
    @classmethod
    def _known_days(cls, days: list[str] | None) -> list[str] | None:
        if days is None:
            return None
        unknown = [day for day in days if day.lower() not in WEEK_DAYS]
        if unknown:
            raise ValueError(f"unknown week day(s) {', '.join(unknown)}; use Monday ... Sunday")
        return [day.lower() for day in days]


class _Trigger(BaseModel):
    model_config = _STRICT

    start_time: datetime | None = None
    end_time: datetime | None = None
    time_zone: str = "UTC"


class CronTrigger(_Trigger):
    """A five-field cron expression (minute hour day-of-month month day-of-week)."""

    type: Literal["cron"] = "cron"
    expression: str = Field(min_length=9)


class RecurrenceTrigger(_Trigger):
    """Every ``interval`` ``frequency`` units from ``start_time``, at the times ``schedule`` names."""

    type: Literal["recurrence"] = "recurrence"
    frequency: Literal["minute", "hour", "day", "week", "month"]
    interval: int = Field(ge=1)
    schedule: RecurrencePattern | None = None

    @field_validator("frequency", mode="before")
    @classmethod
    def _lowercase(cls, frequency: Any) -> Any:
        return frequency.lower() if isinstance(frequency, str) else frequency


Trigger = Annotated[CronTrigger | RecurrenceTrigger, Field(discriminator="type")]


class ScheduleFields(BaseModel):
    model_config = _STRICT

    name: str = Field(pattern=SCHEDULE_NAME_PATTERN)
    trigger: Trigger
    display_name: str | None = None
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    is_enabled: bool = True


class JobSchedule(ScheduleFields):
    """A schedule to create: ``create_job`` is a command or sweep job, submitted anew at every fire."""

    create_job: Command | SweepJob


class MonitorSchedule(ScheduleFields):
    """A schedule that runs a model monitor: its signals are computed at every fire."""

    create_monitor: MonitorDefinition


class ScheduleCreate(ScheduleFields):
    """What the client sends: a job (its code uploaded, its environment resolved) or a monitor."""

    create_job: Annotated[JobCreate | SweepJobCreate, Field(discriminator="type")] | None = None
    create_monitor: MonitorDefinition | None = None

    @model_validator(mode="after")
    def _one_action(self) -> ScheduleCreate:
        if (self.create_job is None) == (self.create_monitor is None):
            raise ValueError("a schedule has either create_job or create_monitor")
        return self


class Schedule(ScheduleCreate):
    """A schedule as the server reports it."""

    provisioning_state: Literal["Succeeded"] = "Succeeded"
    created_by: str
    created_at: datetime
    enabled_at: datetime = Field(description="Fires are counted from here: creation, or the last enable.")
    next_run_time: datetime | None = None
    last_run_time: datetime | None = None
    last_job_name: str | None = None


class ScheduleFire(BaseModel):
    """One time a schedule or trigger fired: what it started, or why it could not."""

    source: Literal["schedule", "trigger"]
    name: str
    scheduled_time: datetime
    fired_at: datetime
    target: str | None = Field(default=None, description="The job or pipeline run it started.")
    status: str
    error: str | None = None
    missed: int = Field(default=0, description="Earlier fire times missed while the server was down.")
    key: str = Field(default="", description="What tells apart fires of one time: a storage event's file.")
    attempt: int = 1
    outputs: dict[str, Any] = Field(default_factory=dict, description="What ``trigger().outputs`` held.")
