"""``lakebox schedule create|list|show|enable|disable|delete|fires``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lakebox.cli.common import WorkspaceRef, with_workspace
from lakebox.cli.output import OutputFormat, OutputOption, err_console, render
from lakebox.mlops.spec_file import load_schedule_file

app = typer.Typer(help="Job schedules: create from YAML, enable, disable, see when they fired.", no_args_is_help=True)
COLUMNS = ["name", "is_enabled", "trigger", "next_run_time", "last_run_time", "last_job_name"]
FIRE_COLUMNS = ["scheduled_time", "fired_at", "status", "target", "missed", "error"]


@app.command("create")
@with_workspace
def create(
    workspace: WorkspaceRef,
    file: Annotated[Path, typer.Option("--file", "-f", help="Azure ML CLI v2 schedule YAML.")],
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Create or update a schedule from its YAML file (its create_job: a job YAML file or inline)."""
    schedule = load_schedule_file(file)
    with workspace.client() as client:
        render(client.schedules.begin_create_or_update(schedule).result(), output, columns=COLUMNS)


@app.command("list")
@with_workspace
def list_(workspace: WorkspaceRef, output: OutputOption = OutputFormat.TABLE) -> None:
    """List schedules with when they run next."""
    with workspace.client() as client:
        render(client.schedules.list(), output, columns=COLUMNS)


@app.command("show")
@with_workspace
def show(workspace: WorkspaceRef, name: str, output: OutputOption = OutputFormat.TABLE) -> None:
    """Show a schedule."""
    with workspace.client() as client:
        render(client.schedules.get(name), output)


@app.command("enable")
@with_workspace
def enable(workspace: WorkspaceRef, name: str) -> None:
    """Enable a schedule; it fires from now on (times missed while disabled do not run)."""
    with workspace.client() as client:
        schedule = client.schedules.begin_enable(name).result()
    err_console.print(f"Schedule {schedule.name} enabled; next run {schedule.next_run_time}")


@app.command("disable")
@with_workspace
def disable(workspace: WorkspaceRef, name: str) -> None:
    """Disable a schedule."""
    with workspace.client() as client:
        client.schedules.begin_disable(name).result()
    err_console.print(f"Schedule {name} disabled")


@app.command("delete")
@with_workspace
def delete(workspace: WorkspaceRef, name: str) -> None:
    """Delete a schedule (the jobs it started stay)."""
    with workspace.client() as client:
        client.schedules.begin_delete(name).result()
    err_console.print(f"Schedule {name} deleted")


@app.command("fires")
@with_workspace
def fires(
    workspace: WorkspaceRef,
    name: str,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """When the schedule fired, latest first, with the job each fire submitted."""
    with workspace.client() as client:
        render(client.schedules.list_fires(name, limit), output, columns=FIRE_COLUMNS)
