"""Fire times of cron and recurrence triggers, in their time zones."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lakebox.entities import CronTrigger, RecurrenceTrigger
from lakebox.errors import ValidationError
from lakebox.mlops.recurrence import check, fires_between, next_fire

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _fires(trigger: CronTrigger | RecurrenceTrigger, until: datetime, after: datetime = T0) -> list[datetime]:
    return list(fires_between(trigger, after, until, after))


def test_the_seeds_weekly_cron_in_a_windows_time_zone_follows_daylight_saving() -> None:
    weekly = CronTrigger(expression="0 2 * * 0", time_zone="Pacific Standard Time")  # Sundays 2 AM
    fires = _fires(weekly, datetime(2026, 3, 31, tzinfo=UTC))
    # 2 AM PST is 10:00 UTC; on March 8 2 AM does not exist (it fires at 3 AM PDT), then 2 AM PDT is 09:00 UTC.
    assert [f.isoformat() for f in fires] == [
        "2026-03-01T10:00:00+00:00",
        "2026-03-08T10:00:00+00:00",
        "2026-03-15T09:00:00+00:00",
        "2026-03-22T09:00:00+00:00",
        "2026-03-29T09:00:00+00:00",
    ]


def test_cron_respects_start_and_end_time_given_in_its_zone() -> None:
    hourly = CronTrigger(
        expression="30 * * * *",
        time_zone="Europe/Berlin",
        start_time=datetime(2026, 3, 1, 10, 0),  # Berlin wall clock: 09:00 UTC
        end_time=datetime(2026, 3, 1, 12, 0),
    )
    assert [f.hour for f in _fires(hourly, datetime(2026, 3, 2, tzinfo=UTC))] == [9, 10]
    assert next_fire(hourly, datetime(2026, 3, 1, 11, tzinfo=UTC), T0) is None


def test_recurrence_every_two_weeks_on_days_and_hours() -> None:
    trigger = RecurrenceTrigger(
        frequency="Week",
        interval=2,
        start_time=datetime(2026, 3, 2),  # a Monday
        schedule={"week_days": ["Monday", "Friday"], "hours": [2, 14], "minutes": 30},
    )
    fires = _fires(trigger, datetime(2026, 3, 21, tzinfo=UTC))
    assert [f"{f:%a %d %H:%M}" for f in fires] == [
        "Mon 02 02:30", "Mon 02 14:30", "Fri 06 02:30", "Fri 06 14:30",
        "Mon 16 02:30", "Mon 16 14:30", "Fri 20 02:30", "Fri 20 14:30",
    ]  # fmt: skip


def test_recurrence_by_minutes_counts_from_start_and_by_month_takes_the_last_day() -> None:
    every_15 = RecurrenceTrigger(frequency="minute", interval=15, start_time=datetime(2026, 3, 1, 0, 5, tzinfo=UTC))
    assert [f.minute for f in _fires(every_15, datetime(2026, 3, 1, 1, tzinfo=UTC))] == [5, 20, 35, 50]
    month_end = RecurrenceTrigger(
        frequency="month", interval=1, start_time=datetime(2026, 1, 1), schedule={"month_days": [-1], "hours": 6}
    )
    assert [f.day for f in _fires(month_end, datetime(2026, 6, 1, tzinfo=UTC))] == [31, 30, 31]


def test_a_daily_recurrence_without_start_time_counts_from_the_schedules_creation() -> None:
    daily = RecurrenceTrigger(frequency="day", interval=1)
    created = datetime(2026, 3, 1, 8, 15, tzinfo=UTC)
    assert next_fire(daily, created, created) == datetime(2026, 3, 2, 8, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("trigger", "message"),
    [
        (CronTrigger(expression="61 * * * *"), "is not a cron expression"),
        (CronTrigger(expression="0 2 * * 0", time_zone="Mars Standard Time"), "unknown time zone"),
        (
            RecurrenceTrigger(
                frequency="day", interval=1, start_time=datetime(2026, 3, 2), end_time=datetime(2026, 3, 1)
            ),
            "end_time is not after its start_time",
        ),
    ],
)
def test_bad_triggers_are_named(trigger: CronTrigger | RecurrenceTrigger, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        check(trigger)


def test_bad_patterns_fail_where_they_are_written() -> None:
    with pytest.raises(ValueError, match="unknown week day"):
        RecurrenceTrigger(frequency="week", interval=1, schedule={"week_days": ["Funday"]})
    with pytest.raises(ValueError, match="frequency"):
        RecurrenceTrigger(frequency="fortnight", interval=1)
