"""The expression language: parsing, interpolation, scope functions and the function families."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lakebox.expressions.language import ExpressionError, Scope, evaluate

NOW = datetime(2026, 12, 1, 18, 30, 15, 123456, tzinfo=UTC)


def scope(**changes: object) -> Scope:
    base = Scope(
        pipeline={"parameters": {"table": "dbo.CustomerData", "limit": 5, "flag": True}, "RunId": "run-1"},
        activities={"Lookup": {"output": {"firstRow": {"Name": "x", "count": 3}, "value": [{"id": 1}, {"id": 2}]}}},
        variables={"names": ["a", "b"], "total": 0},
        clock=lambda: NOW,
    )
    return base.child(**changes)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("@pipeline().parameters.limit", 5),
        ("@pipeline().parameters.flag", True),
        ("@pipeline().RunId", "run-1"),
        ("@activity('Lookup').output.firstRow.Name", "x"),
        ("@activity('Lookup').output.firstRow.name", "x"),  # property names fold case, as ADF's do
        ("@activity('Lookup').output.value[1].id", 2),
        ("@activity('Lookup').output['firstRow']['count']", 3),
        ("@activity('Lookup').output?.missing?.deeper", None),
        ("@variables('names')", ["a", "b"]),
        ("@@not an expression", "@not an expression"),
        ("plain", "plain"),
        (
            "SELECT * FROM @{pipeline().parameters.table} WHERE n < @{pipeline().parameters.limit}",
            "SELECT * FROM dbo.CustomerData WHERE n < 5",
        ),
        ("@{pipeline().parameters.flag}", "True"),
        ("@{variables('names')}", '["a","b"]'),
        ("@concat('it''s ', 'fine')", "it's fine"),
        ("@substring('abcdef', 1, 3)", "bcd"),
        ("@replace('a-b-c', '-', '_')", "a_b_c"),
        ("@split('a,b,c', ',')", ["a", "b", "c"]),
        ("@toUpper('abc')", "ABC"),
        ("@indexOf('Hello', 'LL')", 2),
        ("@startsWith('Hello', 'he')", True),
        ("@length(variables('names'))", 2),
        ("@contains(variables('names'), 'b')", True),
        ("@empty(createArray())", True),
        ("@first(variables('names'))", "a"),
        ("@last('xyz')", "z"),
        ("@union(createArray(1, 2), createArray(2, 3))", [1, 2, 3]),
        ("@intersection(createArray(1, 2, 3), createArray(2, 3, 4))", [2, 3]),
        ("@join(variables('names'), '|')", "a|b"),
        ("@skip(createArray(1, 2, 3), 1)", [2, 3]),
        ("@take(createArray(1, 2, 3), 2)", [1, 2]),
        ("@equals(1, 1)", True),
        ("@equals(true, 1)", False),
        ("@and(greater(2, 1), lessOrEquals(1, 1))", True),
        ("@or(false, less('a', 'b'))", True),
        ("@not(equals('a', 'b'))", True),
        ("@if(equals(1, 1), 'yes', div(1, 0))", "yes"),  # only the branch taken is evaluated
        ("@coalesce(null, null, 'third')", "third"),
        ("@int('42')", 42),
        ("@float('2.5')", 2.5),
        ("@string(3)", "3"),
        ("@bool('TRUE')", True),
        ("@json('{\"a\": [1, 2]}').a[1]", 2),
        ("@base64ToString(base64('lakebox'))", "lakebox"),
        ("@encodeUriComponent('a b/c')", "a%20b%2Fc"),
        ("@add(1, 2.5)", 3.5),
        ("@sub(10, 4)", 6),
        ("@mul(3, 4)", 12),
        ("@div(7, 2)", 3),
        ("@div(-7, 2)", -3),
        ("@div(7.0, 2)", 3.5),
        ("@mod(-7, 3)", -1),
        ("@max(createArray(1, 9, 3))", 9),
        ("@min(4, 2, 8)", 2),
        ("@range(3, 4)", [3, 4, 5, 6]),
        ("@utcnow()", "2026-12-01T18:30:15.1234560Z"),
        ("@utcnow('yyyy-MM-dd')", "2026-12-01"),
        ("@formatDateTime('2026-03-05T07:08:09Z', 'yyyyMMdd HH:mm:ss')", "20260305 07:08:09"),
        ("@formatDateTime('2026-03-05T19:08:09Z', 'dddd d MMM yy h tt')", "Thursday 5 Mar 26 7 PM"),
        ("@addDays('2026-12-31T00:00:00Z', 1, 'yyyy-MM-dd')", "2027-01-01"),
        ("@addHours('2026-12-01T23:00:00Z', -24, 's')", "2026-11-30T23:00:00"),
        ("@addToTime('2026-01-31T00:00:00Z', 1, 'Month', 'yyyy-MM-dd')", "2026-02-28"),
        ("@getPastTime(1, 'Day', 'yyyy-MM-dd')", "2026-11-30"),
        ("@startOfMonth('2026-12-17T10:00:00Z', 'yyyy-MM-dd')", "2026-12-01"),
        ("@dayOfWeek('2026-12-06T00:00:00Z')", 0),  # a Sunday
        ("@dayOfYear('2026-02-01T00:00:00Z')", 32),
        ("@convertFromUtc('2026-07-01T12:00:00Z', 'Pacific Standard Time', 'HH:mm')", "05:00"),
        ("@convertFromUtc('2026-01-01T12:00:00Z', 'Europe/Paris', 'HH:mm zzz')", "13:00 +01:00"),
        ("@convertToUtc('2026-01-01T12:00:00', 'Tokyo Standard Time', 'HH:mm')", "03:00"),
        ("@ticks('0001-01-01T00:00:01Z')", 10_000_000),
    ],
)
def test_an_expression_evaluates_as_adf_defines_it(source: str, expected: object) -> None:
    assert evaluate(source, scope()) == expected


def test_values_nested_in_objects_and_expression_objects_are_evaluated() -> None:
    value = {
        "query": {"value": "@concat('SELECT ', string(pipeline().parameters.limit))", "type": "Expression"},
        "list": ["@pipeline().parameters.limit", "text"],
        "n": 1,
    }
    assert evaluate(value, scope()) == {"query": "SELECT 5", "list": [5, "text"], "n": 1}


def test_item_and_dataset_are_defined_only_where_adf_defines_them() -> None:
    assert evaluate("@item().id", scope(item={"id": 7}, has_item=True)) == 7
    with pytest.raises(ExpressionError, match="inside a ForEach"):
        evaluate("@item()", scope())
    assert evaluate("@dataset().folder", scope(dataset={"folder": "raw"})) == "raw"
    with pytest.raises(ExpressionError, match="inside a dataset"):
        evaluate("@dataset().folder", scope())


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("@concat('a', ", r"expected a value or a function call at position 14"),
        ("@concat('a' 'b')", r"expected ',' at position 13, found \"'b'\""),
        ("@pipeline().parameters.", r"expected a name at position 24"),
        ("@{pipeline().RunId", r"never closed"),
        ("@concat('a') $", r"unexpected character '\$' at position 14"),
        ("@nosuch(1)", r"unknown function 'nosuch' at position 2"),
        ("@pipeline().parameters.missing", r"property 'missing' does not exist .*it has: flag, limit, table"),
        ("@activity('Nope').output", r"activity 'Nope' has not run"),
        ("@variables('nope')", r"variable 'nope' is not declared"),
        ("@div(1, 0)", r"div\(\) at position 2: division by zero"),
        ("@add('a', 1)", r"add\(\) at position 2: needs numbers"),
        ("@substring('abc', 2, 5)", r"outside the 3-character string"),
        ("@variables('names')[5]", r"index 5 is out of range"),
        ("@formatDateTime('yesterday')", r"not an ISO 8601 timestamp"),
        ("@convertFromUtc('2026-01-01T00:00:00Z', 'Mars Standard Time')", r"unknown time zone"),
        ("@if(1, 'a', 'b')", r"needs a boolean"),
    ],
)
def test_a_bad_expression_names_what_and_where(source: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        evaluate(source, scope())
