"""``lakebox spark-pool create|list|show|delete``."""

from __future__ import annotations

from typing import Annotated

import typer

from lakebox.cli.common import WorkspaceRef, with_workspace
from lakebox.cli.output import OutputFormat, OutputOption, err_console, render
from lakebox.entities import SparkPool

app = typer.Typer(help="Spark pools: local[N] on this machine, or a spark:// cluster.", no_args_is_help=True)
COLUMNS = ["name", "node_count", "master", "description"]


@app.command("create")
@with_workspace
def create(
    workspace: WorkspaceRef,
    name: Annotated[str, typer.Option("--name", "-n", help="Pool name.")],
    nodes: Annotated[int, typer.Option("--nodes", min=1, help="Cores of local[N].")] = 2,
    master: Annotated[str | None, typer.Option(help="A spark://host:port cluster instead of local[N].")] = None,
    conf: Annotated[list[str] | None, typer.Option(help="Spark setting key=value (repeatable).")] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Create or update a Spark pool."""
    settings = dict(item.split("=", 1) for item in conf or [] if "=" in item)
    pool = SparkPool(name=name, node_count=nodes, master=master, spark_config=settings)
    with workspace.client() as client:
        render(client.spark_pools.create_or_update(pool), output)


@app.command("list")
@with_workspace
def list_(workspace: WorkspaceRef, output: OutputOption = OutputFormat.TABLE) -> None:
    """List Spark pools."""
    with workspace.client() as client:
        render(client.spark_pools.list(), output, columns=COLUMNS)


@app.command("show")
@with_workspace
def show(workspace: WorkspaceRef, name: str, output: OutputOption = OutputFormat.TABLE) -> None:
    """Show a Spark pool."""
    with workspace.client() as client:
        render(client.spark_pools.get(name), output)


@app.command("delete")
@with_workspace
def delete(workspace: WorkspaceRef, name: str) -> None:
    """Delete a Spark pool."""
    with workspace.client() as client:
        client.spark_pools.delete(name)
    err_console.print(f"Deleted Spark pool {name}")
