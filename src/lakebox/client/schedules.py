"""``ml_client.schedules``: job and monitor schedules with Azure ML's calls (``begin_*`` return pollers)."""

from __future__ import annotations

import builtins

from lakebox.client._http import ApiClient
from lakebox.client.jobs import JobOperations
from lakebox.client.poller import LROPoller
from lakebox.entities.schedule import (
    JobSchedule,
    MonitorSchedule,
    Schedule,
    ScheduleCreate,
    ScheduleFields,
    ScheduleFire,
)


class ScheduleOperations:
    def __init__(self, api: ApiClient, jobs: JobOperations) -> None:
        self._api, self._jobs = api, jobs

    def begin_create_or_update(self, schedule: JobSchedule | MonitorSchedule) -> LROPoller[Schedule]:
        """Create or replace a schedule. A job is uploaded and checked now and submitted at every fire; a
        monitor is checked now and computed at every fire."""
        fields = schedule.model_dump(include=set(ScheduleFields.model_fields))
        if isinstance(schedule, JobSchedule):
            body = ScheduleCreate(**fields, create_job=self._jobs.prepare(schedule.create_job))
        else:
            body = ScheduleCreate(**fields, create_monitor=schedule.create_monitor)
        answer = self._api.request("PUT", f"/api/v1/schedules/{schedule.name}", json=body.model_dump(mode="json"))
        return LROPoller.completed(Schedule.model_validate(answer))

    def get(self, name: str) -> Schedule:
        return Schedule.model_validate(self._api.request("GET", f"/api/v1/schedules/{name}"))

    def list(self) -> builtins.list[Schedule]:
        return [Schedule.model_validate(item) for item in self._api.request("GET", "/api/v1/schedules")]

    def begin_enable(self, name: str) -> LROPoller[Schedule]:
        return LROPoller.completed(
            Schedule.model_validate(self._api.request("POST", f"/api/v1/schedules/{name}/enable"))
        )

    def begin_disable(self, name: str) -> LROPoller[Schedule]:
        return LROPoller.completed(
            Schedule.model_validate(self._api.request("POST", f"/api/v1/schedules/{name}/disable"))
        )

    def begin_delete(self, name: str) -> LROPoller[None]:
        self._api.request("DELETE", f"/api/v1/schedules/{name}")
        return LROPoller.completed(None)

    def trigger(self, name: str) -> ScheduleFire:
        """Fire the schedule once, now: the job it submitted, or the monitor's signals with their figures."""
        return ScheduleFire.model_validate(self._api.request("POST", f"/api/v1/schedules/{name}/trigger"))

    def list_fires(self, name: str, limit: int = 100) -> builtins.list[ScheduleFire]:
        """When the schedule fired (latest first), the job each fire submitted, and how many fires were missed."""
        answer = self._api.request("GET", f"/api/v1/schedules/{name}/fires", params={"limit": limit})
        return [ScheduleFire.model_validate(item) for item in answer]
