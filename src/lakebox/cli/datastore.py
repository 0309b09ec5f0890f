"""``lakebox datastore create|list|show|delete``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lakebox.cli.common import WorkspaceRef, with_workspace
from lakebox.cli.output import OutputFormat, OutputOption, err_console, render
from lakebox.entities import Datastore

app = typer.Typer(help="Datastores: named folders of the lake, and the storage they stand for.", no_args_is_help=True)
COLUMNS = ["name", "type", "account_name", "container_name", "local_path", "is_default"]


@app.command("create")
@with_workspace
def create(
    workspace: WorkspaceRef,
    name: Annotated[str, typer.Option("--name", "-n", help="Lowercase letters, digits and underscores.")],
    folder: Annotated[Path | None, typer.Option(help="The datastore's folder (default: inside the workspace).")] = None,
    account_name: Annotated[str | None, typer.Option(help="Storage account that abfss:// URIs name.")] = None,
    container_name: Annotated[
        str | None, typer.Option("--container-name", "--filesystem", help="Its container / filesystem.")
    ] = None,
    description: Annotated[str | None, typer.Option()] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Register a datastore, or update one (e.g. map the default to an account and container)."""
    datastore = Datastore(
        name=name,
        type="azure_data_lake_gen2" if account_name else "local",
        path=str(folder.resolve()) if folder else None,
        account_name=account_name,
        container_name=container_name,
        description=description,
    )
    with workspace.client() as client:
        render(client.datastores.create_or_update(datastore), output)


@app.command("list")
@with_workspace
def list_(workspace: WorkspaceRef, output: OutputOption = OutputFormat.TABLE) -> None:
    """List datastores."""
    with workspace.client() as client:
        render(client.datastores.list(), output, columns=COLUMNS)


@app.command("show")
@with_workspace
def show(workspace: WorkspaceRef, name: str, output: OutputOption = OutputFormat.TABLE) -> None:
    """Show a datastore."""
    with workspace.client() as client:
        render(client.datastores.get(name), output)


@app.command("delete")
@with_workspace
def delete(workspace: WorkspaceRef, name: str) -> None:
    """Unregister a datastore (its files stay)."""
    with workspace.client() as client:
        client.datastores.delete(name)
    err_console.print(f"Unregistered datastore {name}")
