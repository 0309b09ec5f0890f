"""When a cron or recurrence trigger fires next, in its time zone (daylight saving time included).

Cron expressions go through ``croniter``: a wall-clock time that a spring-forward skips fires at the
first time after the gap, one that a fall-back repeats fires once. Recurrences count periods from
``start_time``: minutes and hours as elapsed time; days, weeks and months on the wall clock.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter

from lakebox.entities.schedule import WEEK_DAYS, CronTrigger, RecurrenceTrigger
from lakebox.errors import ValidationError
from lakebox.expressions.functions import time_zone

_MAX_PERIODS = 10_000  # a pattern that matches nothing (say, February 30th) stops the search here


def check(trigger: CronTrigger | RecurrenceTrigger) -> None:
    """Raise a ``ValidationError`` naming what is wrong with the trigger."""
    zone(trigger.time_zone)
    if isinstance(trigger, CronTrigger) and not croniter.is_valid(trigger.expression):
        raise ValidationError(f"{trigger.expression!r} is not a cron expression (minute hour day month weekday)")
    if trigger.start_time and trigger.end_time:
        tz = zone(trigger.time_zone)
        if _local(trigger.end_time, tz) <= _local(trigger.start_time, tz):
            raise ValidationError("the trigger's end_time is not after its start_time")


def zone(name: str) -> ZoneInfo:
    try:
        return time_zone(name)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def next_fire(trigger: CronTrigger | RecurrenceTrigger, after: datetime, default_start: datetime) -> datetime | None:
    """The first fire time strictly after ``after`` (UTC), or None once past ``end_time``.
    ``default_start`` stands for a missing ``start_time`` (Azure uses the schedule's creation)."""
    tz = zone(trigger.time_zone)
    start = _local(trigger.start_time, tz) if trigger.start_time else default_start.astimezone(tz)
    moment = (
        _cron_next(trigger, after, start, tz)
        if isinstance(trigger, CronTrigger)
        else _recurrence_next(trigger, after, start, tz)
    )
    if moment is None or (trigger.end_time and moment > _local(trigger.end_time, tz)):
        return None
    return moment.astimezone(UTC)


def fires_between(
    trigger: CronTrigger | RecurrenceTrigger, after: datetime, until: datetime, default_start: datetime
) -> Iterator[datetime]:
    """Every fire time in ``(after, until]``."""
    moment = next_fire(trigger, after, default_start)
    while moment is not None and moment <= until:
        yield moment
        moment = next_fire(trigger, moment, default_start)


def _local(moment: datetime, tz: ZoneInfo) -> datetime:
    """A trigger's time: a naive one is wall-clock time in the trigger's zone."""
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)


def _cron_next(trigger: CronTrigger, after: datetime, start: datetime, tz: ZoneInfo) -> datetime | None:
    base = max(after.astimezone(tz), start - timedelta(microseconds=1))
    moment: datetime = croniter(trigger.expression, base).get_next(datetime)
    return moment


def _recurrence_next(trigger: RecurrenceTrigger, after: datetime, start: datetime, tz: ZoneInfo) -> datetime | None:
    if trigger.frequency in ("minute", "hour"):
        step = (
            timedelta(minutes=trigger.interval) if trigger.frequency == "minute" else timedelta(hours=trigger.interval)
        )
        if after < start:
            return start
        return start + step * (math.floor((after - start) / step) + 1)
    local_after = after.astimezone(tz)
    first = max(0, _periods_between(trigger, start, local_after) - 1)
    for period in range(first, first + _MAX_PERIODS):
        for moment in _times_in_period(trigger, start, period, tz):
            if moment >= start and moment > local_after:
                return moment
    return None


def _periods_between(trigger: RecurrenceTrigger, start: datetime, moment: datetime) -> int:
    if trigger.frequency == "day":
        return (moment.date() - start.date()).days // trigger.interval
    if trigger.frequency == "week":
        return (_monday(moment.date()) - _monday(start.date())).days // 7 // trigger.interval
    return ((moment.year - start.year) * 12 + moment.month - start.month) // trigger.interval


def _times_in_period(trigger: RecurrenceTrigger, start: datetime, period: int, tz: ZoneInfo) -> list[datetime]:
    pattern = trigger.schedule
    hours = (pattern.hours if pattern else None) or [start.hour]
    minutes = (pattern.minutes if pattern else None) or [start.minute]
    days: list[date]
    if trigger.frequency == "day":
        days = [start.date() + timedelta(days=period * trigger.interval)]
    elif trigger.frequency == "week":
        monday = _monday(start.date()) + timedelta(weeks=period * trigger.interval)
        names = (pattern.week_days if pattern else None) or [WEEK_DAYS[start.weekday()]]
        days = [monday + timedelta(days=WEEK_DAYS.index(name)) for name in names]
    else:
        year, month = divmod(start.month - 1 + period * trigger.interval, 12)
        days = _month_days(start.year + year, month + 1, (pattern.month_days if pattern else None) or [start.day])
    return sorted(datetime.combine(day, time(hour, minute), tz) for day in days for hour in hours for minute in minutes)


def _month_days(year: int, month: int, wanted: list[int]) -> list[date]:
    """The month's days among ``wanted`` (negative counts from the end); days it lacks are skipped."""
    length = calendar.monthrange(year, month)[1]
    days = {day if day > 0 else length + 1 + day for day in wanted}
    return [date(year, month, day) for day in sorted(days) if 1 <= day <= length]


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())
