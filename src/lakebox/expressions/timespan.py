"""ADF's timespans: ``[d.]hh:mm:ss`` (``0.12:00:00`` is twelve hours)."""

from __future__ import annotations

import re

from lakebox.errors import ValidationError

_TIMESPAN = re.compile(r"^(?:(?P<days>\d+)\.)?(?P<hours>\d{1,2}):(?P<minutes>\d{2}):(?P<seconds>\d{2}(?:\.\d+)?)$")


def parse_timespan(text: str) -> float:
    """Seconds in a ``[d.]hh:mm:ss`` timespan."""
    match = _TIMESPAN.match(text.strip())
    if match is None:
        raise ValidationError(f"{text!r} is not a timespan ([d.]hh:mm:ss, such as 0.12:00:00)")
    days = int(match["days"] or 0)
    return days * 86_400 + int(match["hours"]) * 3600 + int(match["minutes"]) * 60 + float(match["seconds"])
