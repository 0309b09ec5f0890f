"""``lakebox linked-service create|list|show|delete``: Synapse/ADF linked services from JSON files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lakebox.cli.common import WorkspaceRef, with_workspace
from lakebox.cli.output import OutputFormat, OutputOption, err_console, render

app = typer.Typer(help="Linked services as Synapse and ADF keep them (linkedService/*.json).", no_args_is_help=True)


@app.command("create")
@with_workspace
def create(
    workspace: WorkspaceRef,
    files: Annotated[
        list[Path], typer.Option("--file", "-f", exists=True, help="A JSON file, or a linkedService/ folder.")
    ],
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Create or update linked services from their JSON files (Key Vault ones first, as others refer to them)."""
    paths = sorted({p for f in files for p in (sorted(f.glob("*.json")) if f.is_dir() else [f])})
    with workspace.client() as client:
        vaults_first = sorted(paths, key=lambda p: '"AzureKeyVault"' not in p.read_text())
        stored = [client.linked_services.create_or_update(path) for path in vaults_first]
    render([{"name": s.name, "type": s.properties.type} for s in stored], output)


@app.command("list")
@with_workspace
def list_(workspace: WorkspaceRef, output: OutputOption = OutputFormat.TABLE) -> None:
    """List linked services."""
    with workspace.client() as client:
        render([{"name": s.name, "type": s.properties.type} for s in client.linked_services.list()], output)


@app.command("show")
@with_workspace
def show(workspace: WorkspaceRef, name: str, output: OutputOption = OutputFormat.TABLE) -> None:
    """Show what a linked service resolves to here."""
    with workspace.client() as client:
        render(client.linked_services.target(name), output)


@app.command("delete")
@with_workspace
def delete(workspace: WorkspaceRef, name: str) -> None:
    """Delete a linked service."""
    with workspace.client() as client:
        client.linked_services.delete(name)
    err_console.print(f"Deleted linked service {name}")
