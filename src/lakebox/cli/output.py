"""Rendering results as a table (for people) or JSON (for scripts), and the shared console."""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

console = Console()
err_console = Console(stderr=True, soft_wrap=True)


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


OutputOption = Annotated[
    OutputFormat, typer.Option("--output", "-o", help="table for people, json for scripts.", case_sensitive=False)
]


def _plain(item: BaseModel | dict[str, Any]) -> dict[str, Any]:
    return item.model_dump(mode="json") if isinstance(item, BaseModel) else item


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def render(
    data: BaseModel | dict[str, Any] | Sequence[BaseModel | dict[str, Any]],
    output: OutputFormat,
    *,
    columns: Sequence[str] | None = None,
    title: str | None = None,
) -> None:
    """Print one object as key/value rows, or a list as a table with ``columns`` (default: all keys)."""
    if isinstance(data, BaseModel | dict):
        plain: dict[str, Any] | list[dict[str, Any]] = _plain(data)
    else:
        plain = [_plain(item) for item in data]
    if output is OutputFormat.JSON:
        console.print_json(json.dumps(plain))
        return
    table = Table(title=title, title_justify="left")
    if isinstance(plain, dict):
        table.add_column("field", style="bold")
        table.add_column("value")
        for key, value in plain.items():
            if columns is None or key in columns:
                table.add_row(key, _cell(value))
    else:
        keys = list(columns or (plain[0].keys() if plain else []))
        for key in keys:
            table.add_column(key)
        for row in plain:
            table.add_row(*(_cell(row.get(key)) for key in keys))
    console.print(table)
