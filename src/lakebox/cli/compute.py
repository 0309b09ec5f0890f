"""``lakebox compute create|list|show|delete``."""

from __future__ import annotations

from typing import Annotated

import typer

from lakebox.cli.common import WorkspaceRef, with_workspace
from lakebox.cli.output import OutputFormat, OutputOption, err_console, render
from lakebox.compute.sizes import DEFAULT_SIZE
from lakebox.entities import ComputeCluster

app = typer.Typer(help="Compute clusters: pools of job slots with a size.", no_args_is_help=True)
COLUMNS = ["name", "size", "min_instances", "max_instances", "idle_time_before_scale_down", "provisioning_state"]


@app.command("create")
@with_workspace
def create(
    workspace: WorkspaceRef,
    name: Annotated[str, typer.Option("--name", "-n", help="Compute name.")],
    size: Annotated[str, typer.Option(help="VM size name, e.g. Standard_DS3_v2.")] = DEFAULT_SIZE,
    min_instances: Annotated[int, typer.Option(min=0)] = 0,
    max_instances: Annotated[int, typer.Option(min=1, help="Jobs that may run at once.")] = 1,
    idle_time_before_scale_down: Annotated[int, typer.Option(min=0, help="Seconds.")] = 120,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Create or update a compute cluster."""
    cluster = ComputeCluster(
        name=name,
        size=size,
        min_instances=min_instances,
        max_instances=max_instances,
        idle_time_before_scale_down=idle_time_before_scale_down,
    )
    with workspace.client() as client:
        render(client.compute.begin_create_or_update(cluster).result(), output, columns=COLUMNS)


@app.command("list")
@with_workspace
def list_(workspace: WorkspaceRef, output: OutputOption = OutputFormat.TABLE) -> None:
    """List compute clusters."""
    with workspace.client() as client:
        render(client.compute.list(), output, columns=COLUMNS)


@app.command("show")
@with_workspace
def show(workspace: WorkspaceRef, name: str, output: OutputOption = OutputFormat.TABLE) -> None:
    """Show a compute cluster."""
    with workspace.client() as client:
        render(client.compute.get(name), output)


@app.command("delete")
@with_workspace
def delete(workspace: WorkspaceRef, name: str) -> None:
    """Delete a compute cluster."""
    with workspace.client() as client:
        client.compute.begin_delete(name).result()
    err_console.print(f"Deleted compute {name}")
