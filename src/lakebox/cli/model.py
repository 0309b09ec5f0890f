"""``lakebox model create|list|show|archive|restore|download``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lakebox.cli.common import WorkspaceRef, with_workspace
from lakebox.cli.output import OutputFormat, OutputOption, err_console, render
from lakebox.entities import Model

app = typer.Typer(help="The model registry (the workspace's MLflow registry).", no_args_is_help=True)
COLUMNS = ["name", "version", "type", "job_name", "archived", "aliases", "created_at"]


@app.command("create")
@with_workspace
def create(
    workspace: WorkspaceRef,
    name: Annotated[str, typer.Option("--name", "-n")],
    model_path: Annotated[
        str, typer.Option("--model-path", "-p", help="Folder, file, runs:/, azureml://jobs/... or datastore URI.")
    ],
    type_: Annotated[str, typer.Option("--type", help="mlflow_model or custom_model.")] = "custom_model",
    description: Annotated[str | None, typer.Option()] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Register the next version of a model."""
    local = Path(model_path)
    model = Model(
        name=name,
        path=str(local.resolve()) if local.exists() else model_path,
        type=type_,  # type: ignore[arg-type]
        description=description,
    )
    with workspace.client() as client:
        render(client.models.create_or_update(model), output, columns=COLUMNS)


@app.command("list")
@with_workspace
def list_(
    workspace: WorkspaceRef,
    name: Annotated[str | None, typer.Option("--name", "-n", help="Every version of this model.")] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """The newest version of each model, or every version of one."""
    with workspace.client() as client:
        render(client.models.list(name), output, columns=COLUMNS)


@app.command("show")
@with_workspace
def show(
    workspace: WorkspaceRef,
    name: str,
    version: Annotated[str | None, typer.Option("--version", "-v")] = None,
    label: Annotated[str | None, typer.Option("--label", "-l", help="latest, or an MLflow alias.")] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Show a model version."""
    with workspace.client() as client:
        render(client.models.get(name, version, label), output)


@app.command("archive")
@with_workspace
def archive(
    workspace: WorkspaceRef, name: str, version: Annotated[str | None, typer.Option("--version", "-v")] = None
) -> None:
    """Archive a version (or every version): hidden from latest, still usable by its number."""
    with workspace.client() as client:
        client.models.archive(name, version)
    err_console.print(f"Archived {name}{f':{version}' if version else ''}")


@app.command("restore")
@with_workspace
def restore(
    workspace: WorkspaceRef, name: str, version: Annotated[str | None, typer.Option("--version", "-v")] = None
) -> None:
    """Restore an archived version (or every version)."""
    with workspace.client() as client:
        client.models.restore(name, version)
    err_console.print(f"Restored {name}{f':{version}' if version else ''}")


@app.command("download")
@with_workspace
def download(
    workspace: WorkspaceRef,
    name: str,
    version: Annotated[str, typer.Option("--version", "-v")],
    download_path: Annotated[Path, typer.Option("--download-path", "-p")] = Path("."),
) -> None:
    """Download a version's files to DOWNLOAD_PATH/NAME/."""
    with workspace.client() as client:
        target = client.models.download(name, version, download_path)
    err_console.print(f"Downloaded {name}:{version} to {target}")
