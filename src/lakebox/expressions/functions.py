"""The documented function families of the ADF/Synapse expression language: string, collection,
logical, conversion, math and date.

Functions take and return JSON values. Timestamps are ISO 8601 strings, written by default in .NET's
round-trip format ``o`` (``2026-12-01T18:20:00.0000000Z``), and ``format`` arguments take .NET's
standard and custom date format strings. Time zones may be given by Windows name, as ADF's are
(``Pacific Standard Time``), or by IANA name. ``if``, ``and``, ``or`` and ``coalesce`` evaluate their
arguments only as far as needed; functions that read the clock get the run's clock.
"""

from __future__ import annotations

import base64
import json
import random
import re
import urllib.parse
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Value = Any
Thunk = Callable[[], Value]


def utc_now() -> datetime:
    return datetime.now(UTC)


def json_text(value: Value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _number(value: Value) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"needs numbers; got {json_text(value)}")
    return value


def _text(value: Value) -> str:
    if not isinstance(value, str):
        raise TypeError(f"needs a string; got {json_text(value)}")
    return value


# String.


def _substring(text: str, start: int, length: int | None = None) -> str:
    text = _text(text)
    end = len(text) if length is None else start + length
    if start < 0 or end > len(text) or end < start:
        raise ValueError(f"start {start} and length {length} are outside the {len(text)}-character string")
    return text[start:end]


def _guid(form: str = "D") -> str:
    value = uuid.uuid4()
    forms = {"N": value.hex, "D": str(value), "B": f"{{{value}}}", "P": f"({value})"}
    if form.upper() not in forms:
        raise ValueError(f"format {form!r} is not one of N, D, B, P")
    return forms[form.upper()]


# Collection.


def _length(value: Value) -> int:
    if not isinstance(value, str | list | dict):
        raise TypeError(f"needs a string, an array or an object; got {json_text(value)}")
    return len(value)


def _contains(collection: Value, value: Value) -> bool:
    if isinstance(collection, str):
        return _text(value) in collection
    if isinstance(collection, list | dict):
        return value in collection
    raise TypeError(f"needs a string, an array or an object; got {json_text(collection)}")


def _empty(value: Value) -> bool:
    return value is None or (isinstance(value, str | list | dict) and len(value) == 0)


def _first(value: Value) -> Value:
    return value[0] if isinstance(value, str | list) and value else None


def _last(value: Value) -> Value:
    return value[-1] if isinstance(value, str | list) and value else None


def _union(*collections: Value) -> Value:
    if all(isinstance(c, dict) for c in collections):
        merged: dict[str, Value] = {}
        for collection in collections:
            merged.update(collection)
        return merged
    distinct: dict[str, Value] = {}
    for collection in collections:
        for value in collection:
            distinct.setdefault(json_text(value), value)
    return list(distinct.values())


def _intersection(*collections: Value) -> Value:
    if all(isinstance(c, dict) for c in collections):
        first = collections[0]
        return {k: v for k, v in first.items() if all(k in c and c[k] == v for c in collections[1:])}
    others = [{json_text(value) for value in collection} for collection in collections[1:]]
    distinct = {json_text(value): value for value in collections[0]}
    return [value for key, value in distinct.items() if all(key in other for other in others)]


def _skip(collection: list[Value], count: int) -> list[Value]:
    return list(collection)[max(count, 0) :]


def _take(collection: Value, count: int) -> Value:
    return collection[: max(count, 0)]


# Logical.


def _compare(a: Value, b: Value) -> int:
    if isinstance(a, str) and isinstance(b, str):
        return (a > b) - (a < b)
    x, y = _number(a), _number(b)
    return (x > y) - (x < y)


def _if(condition: Thunk, then: Thunk, otherwise: Thunk) -> Value:
    return then() if _bool_of(condition()) else otherwise()


def _and(*values: Thunk) -> bool:
    if len(values) < 2:
        raise TypeError("needs at least 2 arguments")
    return all(_bool_of(value()) for value in values)


def _or(*values: Thunk) -> bool:
    if len(values) < 2:
        raise TypeError("needs at least 2 arguments")
    return any(_bool_of(value()) for value in values)


def _coalesce(*values: Thunk) -> Value:
    for value in values:
        if (result := value()) is not None:
            return result
    return None


def _bool_of(value: Value) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"needs a boolean; got {json_text(value)}")
    return value


# Conversion.


def _int(value: Value) -> int:
    if isinstance(value, bool):
        raise TypeError("cannot convert a boolean to an integer")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(f"{value} is not a whole number")
    return int(value)


def _float(value: Value) -> float:
    if isinstance(value, bool):
        raise TypeError("cannot convert a boolean to a float")
    return float(value)


def _string(value: Value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    return json_text(value) if isinstance(value, dict | list) or value is None else str(value)


def _bool(value: Value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ValueError(f"{json_text(value)} is not a boolean")


def _json(value: Value) -> Value:
    return json.loads(_text(value)) if isinstance(value, str) else value


def _base64(value: str) -> str:
    return base64.b64encode(_text(value).encode()).decode()


def _base64_to_string(value: str) -> str:
    return base64.b64decode(_text(value)).decode()


def _encode_uri_component(value: str) -> str:
    return urllib.parse.quote(_string(value), safe="")


def _decode_uri_component(value: str) -> str:
    return urllib.parse.unquote(_text(value))


def _data_uri(value: str) -> str:
    return "data:text/plain;charset=utf-8;base64," + _base64(value)


def _data_uri_to_string(value: str) -> str:
    header, _, data = _text(value).partition(",")
    return base64.b64decode(data).decode() if header.endswith(";base64") else urllib.parse.unquote(data)


# Math.


def _add(a: Value, b: Value) -> int | float:
    return _number(a) + _number(b)


def _sub(a: Value, b: Value) -> int | float:
    return _number(a) - _number(b)


def _mul(a: Value, b: Value) -> int | float:
    return _number(a) * _number(b)


def _div(a: Value, b: Value) -> int | float:
    x, y = _number(a), _number(b)
    if y == 0:
        raise ZeroDivisionError("division by zero")
    if isinstance(x, int) and isinstance(y, int):
        quotient = abs(x) // abs(y)  # .NET truncates toward zero
        return quotient if (x >= 0) == (y >= 0) else -quotient
    return x / y


def _mod(a: Value, b: Value) -> int | float:
    x, y = _number(a), _number(b)
    if y == 0:
        raise ZeroDivisionError("division by zero")
    result = abs(x) % abs(y)  # the sign follows the dividend, as in .NET
    return result if x >= 0 else -result


def _extreme(pick: Callable[..., Value]) -> Callable[..., Value]:
    def function(*values: Value) -> Value:
        items = values[0] if len(values) == 1 and isinstance(values[0], list) else values
        if not items:
            raise ValueError("needs at least one number")
        return pick(_number(v) for v in items)

    return function


def _range(start: int, count: int) -> list[int]:
    if count < 0:
        raise ValueError("count must not be negative")
    return list(range(start, start + count))


def _rand(low: int, high: int) -> int:
    if high <= low:
        raise ValueError("the maximum must be greater than the minimum")
    return random.randrange(low, high)


# Dates.

_WINDOWS_ZONES = {
    "utc": "UTC",
    "coordinated universal time": "UTC",
    "gmt standard time": "Europe/London",
    "w. europe standard time": "Europe/Berlin",
    "romance standard time": "Europe/Paris",
    "central europe standard time": "Europe/Budapest",
    "e. europe standard time": "Europe/Chisinau",
    "russian standard time": "Europe/Moscow",
    "india standard time": "Asia/Kolkata",
    "china standard time": "Asia/Shanghai",
    "tokyo standard time": "Asia/Tokyo",
    "singapore standard time": "Asia/Singapore",
    "aus eastern standard time": "Australia/Sydney",
    "eastern standard time": "America/New_York",
    "central standard time": "America/Chicago",
    "mountain standard time": "America/Denver",
    "pacific standard time": "America/Los_Angeles",
    "alaskan standard time": "America/Anchorage",
    "hawaiian standard time": "Pacific/Honolulu",
    "e. south america standard time": "America/Sao_Paulo",
}
_UNITS = {"second": "seconds", "minute": "minutes", "hour": "hours", "day": "days", "week": "weeks"}


def time_zone(name: str) -> ZoneInfo:
    """A zone by its Windows name (as ADF takes them) or its IANA name."""
    try:
        return ZoneInfo(_WINDOWS_ZONES.get(name.strip().lower(), name.strip()))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def parse_timestamp(value: Value) -> datetime:
    """An ISO 8601 timestamp (any number of fractional digits; UTC when it names no offset)."""
    try:
        moment = datetime.fromisoformat(_text(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO 8601 timestamp") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


_CUSTOM = re.compile(
    r"'[^']*'|\"[^\"]*\"|\\.|yyyy|yy|MMMM|MMM|MM|M|dddd|ddd|dd|d|HH|H|hh|h|mm|m|ss|s|f{1,7}|F{1,7}|tt|t|zzz|zz|z|K"
)
_STANDARD = {
    "o": "yyyy-MM-ddTHH:mm:ss.fffffffK",
    "s": "yyyy-MM-ddTHH:mm:ss",
    "u": "yyyy-MM-dd HH:mm:ssZ",
    "r": "ddd, dd MMM yyyy HH:mm:ss 'GMT'",
    "d": "M/d/yyyy",
    "D": "dddd, MMMM d, yyyy",
    "t": "h:mm tt",
    "T": "h:mm:ss tt",
    "g": "M/d/yyyy h:mm tt",
    "G": "M/d/yyyy h:mm:ss tt",
    "f": "dddd, MMMM d, yyyy h:mm tt",
    "F": "dddd, MMMM d, yyyy h:mm:ss tt",
}


def format_timestamp(moment: datetime, form: str = "o") -> str:
    """``moment`` in a .NET date format (standard, such as ``o``, or custom, such as ``yyyy-MM-dd``)."""
    if form in ("r", "R", "u"):
        moment = moment.astimezone(UTC)
    pattern = _STANDARD.get("o" if form == "O" else "r" if form == "R" else form, form)
    if len(pattern) == 1 and pattern not in "dfFgGHhKMmsty":
        raise ValueError(f"{form!r} is not a date format")
    return _CUSTOM.sub(lambda m: _format_token(moment, m.group(0)), pattern)


def _format_token(moment: datetime, token: str) -> str:
    if token[0] in "'\"":
        return token[1:-1]
    if token[0] == "\\":
        return token[1]
    if token[0] in "fF":
        digits = f"{moment.microsecond:06d}0"[: len(token)]
        return digits if token[0] == "f" else digits.rstrip("0")
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign, hours, rest = ("+" if minutes >= 0 else "-"), abs(minutes) // 60, abs(minutes) % 60
    values = {
        "yyyy": f"{moment.year:04d}",
        "yy": f"{moment.year % 100:02d}",
        "MMMM": moment.strftime("%B"),
        "MMM": moment.strftime("%b"),
        "MM": f"{moment.month:02d}",
        "M": str(moment.month),
        "dddd": moment.strftime("%A"),
        "ddd": moment.strftime("%a"),
        "dd": f"{moment.day:02d}",
        "d": str(moment.day),
        "HH": f"{moment.hour:02d}",
        "H": str(moment.hour),
        "hh": f"{(moment.hour % 12) or 12:02d}",
        "h": str((moment.hour % 12) or 12),
        "mm": f"{moment.minute:02d}",
        "m": str(moment.minute),
        "ss": f"{moment.second:02d}",
        "s": str(moment.second),
        "tt": "AM" if moment.hour < 12 else "PM",
        "t": "A" if moment.hour < 12 else "P",
        "zzz": f"{sign}{hours:02d}:{rest:02d}",
        "zz": f"{sign}{hours:02d}",
        "z": f"{sign}{hours}",
        "K": "Z" if minutes == 0 and moment.tzinfo in (UTC, None) else f"{sign}{hours:02d}:{rest:02d}",
    }
    return values[token]


def _shift(moment: datetime, interval: int, unit: str) -> datetime:
    key = unit.strip().lower().rstrip("s")
    if key in _UNITS:
        return moment + timedelta(**{_UNITS[key]: interval})
    if key in ("month", "year"):
        months = moment.month - 1 + interval * (12 if key == "year" else 1)
        year, month = moment.year + months // 12, months % 12 + 1
        days = [
            31,
            29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28,
            31,
            30,
            31,
            30,
            31,
            31,
            30,
            31,
            30,
            31,
        ]
        return moment.replace(year=year, month=month, day=min(moment.day, days[month - 1]))
    raise ValueError(f"unit {unit!r} is not one of Second, Minute, Hour, Day, Week, Month, Year")


def _add_to_time(timestamp: str, interval: int, unit: str, form: str = "o") -> str:
    return format_timestamp(_shift(parse_timestamp(timestamp), _int(interval), unit), form)


def _subtract_from_time(timestamp: str, interval: int, unit: str, form: str = "o") -> str:
    return _add_to_time(timestamp, -_int(interval), unit, form)


def _adder(unit: str) -> Callable[..., str]:
    def function(timestamp: str, interval: int, form: str = "o") -> str:
        return _add_to_time(timestamp, interval, unit, form)

    return function


def _start_of(**zero: Any) -> Callable[..., str]:
    def function(timestamp: str, form: str = "o") -> str:
        return format_timestamp(parse_timestamp(timestamp).replace(microsecond=0, **zero), form)

    return function


def _convert_from_utc(timestamp: str, zone: str, form: str = "o") -> str:
    return format_timestamp(parse_timestamp(timestamp).astimezone(time_zone(zone)), form)


def _convert_to_utc(timestamp: str, zone: str, form: str = "o") -> str:
    """``timestamp`` read as a time in ``zone`` (unless it names its own offset), in UTC."""
    moment = datetime.fromisoformat(_text(timestamp).strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=time_zone(zone))
    return format_timestamp(moment.astimezone(UTC), form)


def _convert_time_zone(timestamp: str, source: str, destination: str, form: str = "o") -> str:
    in_utc = _convert_to_utc(timestamp, source)
    return _convert_from_utc(in_utc, destination, form)


def _ticks(timestamp: str) -> int:
    moment = parse_timestamp(timestamp).astimezone(UTC)
    delta = moment - datetime(1, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


def _utcnow(now: datetime, form: str = "o") -> str:
    return format_timestamp(now.astimezone(UTC), form)


def _future(now: datetime, interval: int, unit: str, form: str = "o") -> str:
    return format_timestamp(_shift(now.astimezone(UTC), _int(interval), unit), form)


def _past(now: datetime, interval: int, unit: str, form: str = "o") -> str:
    return _future(now, -_int(interval), unit, form)


FUNCTIONS: dict[str, Callable[..., Value]] = {
    # string
    "concat": lambda *values: "".join(_string(v) for v in values),
    "substring": _substring,
    "replace": lambda text, old, new: _text(text).replace(_text(old), _text(new)),
    "guid": _guid,
    "indexof": lambda text, value: _text(text).lower().find(_text(value).lower()),
    "lastindexof": lambda text, value: _text(text).lower().rfind(_text(value).lower()),
    "startswith": lambda text, value: _text(text).lower().startswith(_text(value).lower()),
    "endswith": lambda text, value: _text(text).lower().endswith(_text(value).lower()),
    "split": lambda text, delimiter: _text(text).split(_text(delimiter)),
    "tolower": lambda text: _text(text).lower(),
    "toupper": lambda text: _text(text).upper(),
    "trim": lambda text: _text(text).strip(),
    # collection
    "contains": _contains,
    "empty": _empty,
    "first": _first,
    "last": _last,
    "intersection": _intersection,
    "union": _union,
    "join": lambda values, delimiter: _text(delimiter).join(_string(v) for v in values),
    "length": _length,
    "skip": _skip,
    "take": _take,
    # logical
    "equals": lambda a, b: a == b and isinstance(a, bool) == isinstance(b, bool),
    "less": lambda a, b: _compare(a, b) < 0,
    "lessorequals": lambda a, b: _compare(a, b) <= 0,
    "greater": lambda a, b: _compare(a, b) > 0,
    "greaterorequals": lambda a, b: _compare(a, b) >= 0,
    "not": lambda value: not _bool_of(value),
    # conversion
    "int": _int,
    "float": _float,
    "string": _string,
    "bool": _bool,
    "json": _json,
    "array": lambda value: [value],
    "createarray": lambda *values: list(values),
    "base64": _base64,
    "base64tostring": _base64_to_string,
    "decodebase64": _base64_to_string,
    "encodeuricomponent": _encode_uri_component,
    "uricomponent": _encode_uri_component,
    "decodeuricomponent": _decode_uri_component,
    "uricomponenttostring": _decode_uri_component,
    "datauri": _data_uri,
    "datauritostring": _data_uri_to_string,
    "decodedatauri": _data_uri_to_string,
    # math
    "add": _add,
    "sub": _sub,
    "mul": _mul,
    "div": _div,
    "mod": _mod,
    "min": _extreme(min),
    "max": _extreme(max),
    "range": _range,
    "rand": _rand,
    # date
    "addtotime": _add_to_time,
    "subtractfromtime": _subtract_from_time,
    "addseconds": _adder("Second"),
    "addminutes": _adder("Minute"),
    "addhours": _adder("Hour"),
    "adddays": _adder("Day"),
    "formatdatetime": lambda timestamp, form="o": format_timestamp(parse_timestamp(timestamp), form),
    "startofday": _start_of(hour=0, minute=0, second=0),
    "startofhour": _start_of(minute=0, second=0),
    "startofmonth": _start_of(day=1, hour=0, minute=0, second=0),
    "dayofweek": lambda timestamp: (parse_timestamp(timestamp).weekday() + 1) % 7,
    "dayofmonth": lambda timestamp: parse_timestamp(timestamp).day,
    "dayofyear": lambda timestamp: parse_timestamp(timestamp).timetuple().tm_yday,
    "ticks": _ticks,
    "convertfromutc": _convert_from_utc,
    "converttoutc": _convert_to_utc,
    "converttimezone": _convert_time_zone,
}
LAZY: dict[str, Callable[..., Value]] = {"if": _if, "and": _and, "or": _or, "coalesce": _coalesce}
CLOCKED: dict[str, Callable[..., Value]] = {"utcnow": _utcnow, "getfuturetime": _future, "getpasttime": _past}
