"""``lakebox schedule create|list|show|enable|disable|trigger|delete|fires``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from lakebox.cli.common import WorkspaceRef, with_workspace
from lakebox.cli.output import OutputFormat, OutputOption, console, err_console, render
from lakebox.mlops.spec_file import load_schedule_file

app = typer.Typer(
    help="Job and monitor schedules: create from YAML, enable, disable, fire now, see when they fired.",
    no_args_is_help=True,
)
COLUMNS = ["name", "is_enabled", "trigger", "next_run_time", "last_run_time", "last_job_name"]
FIRE_COLUMNS = ["scheduled_time", "fired_at", "status", "target", "missed", "error"]


@app.command("create")
@with_workspace
def create(
    workspace: WorkspaceRef,
    file: Annotated[Path, typer.Option("--file", "-f", help="Azure ML CLI v2 schedule YAML.")],
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Create or update a schedule from its YAML file (create_job: a job YAML file or inline; or create_monitor)."""
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


@app.command("trigger")
@with_workspace
def trigger(workspace: WorkspaceRef, name: str, output: OutputOption = OutputFormat.TABLE) -> None:
    """Fire a schedule once, now: the job it submitted, or the monitor's drift figures."""
    with workspace.client() as client:
        fire = client.schedules.trigger(name)
    if output is OutputFormat.TABLE and "signals" in fire.outputs:
        render_drift(fire.outputs)
    render(fire, output, columns=FIRE_COLUMNS)


def render_drift(outputs: dict[str, Any]) -> None:
    """A table per signal: each feature's figures and whether it drifted."""
    for name, signal in outputs["signals"].items():
        if not signal.get("judged"):
            err_console.print(f"{name}: not judged: {signal.get('reason')}")
            continue
        rows = f"{signal['production_rows']} production rows, {signal['reference_rows']} reference"
        table = Table(title=f"{name}: {rows}")
        for column in ("feature", "kind", "PSI", "JS distance", "p-value", "drifted"):
            table.add_column(column)
        for feature in signal["features"]:
            table.add_row(
                feature["feature"],
                feature["kind"],
                f"{feature['population_stability_index']:.3f}",
                f"{feature['jensen_shannon_distance']:.3f}",
                "" if feature["p_value"] is None else f"{feature['p_value']:.2g}",
                "; ".join(feature["breaches"]) or "no",
            )
        console.print(table)


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
