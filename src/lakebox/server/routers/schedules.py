"""``/api/v1/schedules``: job and monitor schedules (cron or recurrence) with their fire history."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response

from lakebox.entities import Principal
from lakebox.entities.schedule import Schedule, ScheduleCreate, ScheduleFire
from lakebox.errors import BadRequestError, NotFoundError
from lakebox.mlops import recurrence
from lakebox.security import actions
from lakebox.server.auth import require
from lakebox.server.context import ServerContext, get_context
from lakebox.store.types import utcnow

router = APIRouter(tags=["schedules"])
_SCHEDULE = "schedules/{name}"


@router.put("/schedules/{name}", response_model=Schedule, summary="Create or update a job schedule")
def create_or_update(
    name: str,
    body: ScheduleCreate,
    request: Request,
    response: Response,
    principal: Principal = require(actions.SCHEDULES_WRITE, scope=_SCHEDULE),
) -> Schedule:
    """The job is checked as a submission would check it, a monitor for what it watches and compares; a
    schedule that stays enabled keeps counting its fires from when it was enabled."""
    if body.name != name:
        raise BadRequestError(f"the schedule's name {body.name!r} differs from the URL's {name!r}")
    context = get_context(request)
    recurrence.check(body.trigger)
    if body.create_job is not None:
        context.authorizer.check(principal, actions.JOBS_WRITE, context.scope_of())
        context.runner.check(body.create_job)
    if body.create_monitor is not None:
        if body.create_monitor.retraining_schedule is not None:  # it will submit that schedule's job
            context.authorizer.check(principal, actions.JOBS_WRITE, context.scope_of())
        context.scheduler.monitors.check(body.create_monitor)
    previous, now = _existing(context, name), utcnow()
    schedule = Schedule(
        **body.model_dump(),
        created_by=previous.created_by if previous else principal.name,
        created_at=previous.created_at if previous else now,
        enabled_at=previous.enabled_at if previous and previous.is_enabled and body.is_enabled else now,
    )
    _, created = context.stores.schedules.schedules.put(schedule)
    response.status_code = 201 if created else 200
    return _report(context, schedule)


@router.get("/schedules", response_model=list[Schedule], summary="List job schedules")
def list_schedules(request: Request, _: Principal = require(actions.SCHEDULES_READ)) -> list[Schedule]:
    context = get_context(request)
    return [_report(context, schedule) for schedule in context.stores.schedules.schedules.list()]


@router.get("/schedules/{name}", response_model=Schedule, summary="Show a job schedule and when it runs next")
def get_schedule(
    name: str, request: Request, _: Principal = require(actions.SCHEDULES_READ, scope=_SCHEDULE)
) -> Schedule:
    context = get_context(request)
    return _report(context, context.stores.schedules.schedules.get(name))


@router.post("/schedules/{name}/enable", response_model=Schedule, summary="Enable a schedule (from now on)")
def enable(name: str, request: Request, _: Principal = require(actions.SCHEDULES_WRITE, scope=_SCHEDULE)) -> Schedule:
    return _set_enabled(get_context(request), name, True)


@router.post("/schedules/{name}/disable", response_model=Schedule, summary="Disable a schedule")
def disable(name: str, request: Request, _: Principal = require(actions.SCHEDULES_WRITE, scope=_SCHEDULE)) -> Schedule:
    return _set_enabled(get_context(request), name, False)


@router.post(
    "/schedules/{name}/trigger",
    response_model=ScheduleFire,
    summary="Fire a schedule once, now (a monitor's figures are in the answer)",
)
def trigger(
    name: str, request: Request, principal: Principal = require(actions.SCHEDULES_WRITE, scope=_SCHEDULE)
) -> ScheduleFire:
    """Firing submits a job (a job schedule's, or a breached monitor's retraining), so it needs job write too."""
    context = get_context(request)
    context.authorizer.check(principal, actions.JOBS_WRITE, context.scope_of())
    return context.scheduler.fire_now(name)


@router.delete("/schedules/{name}", status_code=204, summary="Delete a schedule and its fire history")
def delete(name: str, request: Request, _: Principal = require(actions.SCHEDULES_DELETE, scope=_SCHEDULE)) -> None:
    context = get_context(request)
    context.stores.schedules.schedules.delete(name)
    context.stores.schedules.forget("schedule", name)


@router.get(
    "/schedules/{name}/fires", response_model=list[ScheduleFire], summary="When the schedule fired, latest first"
)
def fires(
    name: str,
    request: Request,
    limit: int = Query(100, ge=1, le=1000),
    _: Principal = require(actions.SCHEDULES_READ, scope=_SCHEDULE),
) -> list[ScheduleFire]:
    context = get_context(request)
    context.stores.schedules.schedules.get(name)
    return context.stores.schedules.fires("schedule", name, limit)


def _existing(context: ServerContext, name: str) -> Schedule | None:
    try:
        return context.stores.schedules.schedules.get(name)
    except NotFoundError:
        return None


def _set_enabled(context: ServerContext, name: str, enabled: bool) -> Schedule:
    schedule = context.stores.schedules.schedules.get(name)
    if schedule.is_enabled != enabled:
        changes = {"is_enabled": enabled} | ({"enabled_at": utcnow()} if enabled else {})
        schedule = schedule.model_copy(update=changes)
        context.stores.schedules.schedules.put(schedule)
    return _report(context, schedule)


def _report(context: ServerContext, schedule: Schedule) -> Schedule:
    last = context.stores.schedules.last("schedule", schedule.name)
    return schedule.model_copy(
        update={
            "next_run_time": context.scheduler.next_run_time(schedule),
            "last_run_time": last.scheduled_time if last else None,
            "last_job_name": last.target if last else None,
        }
    )
