"""``lakebox workspace create|list|show|delete``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from lakebox import settings
from lakebox.cli.common import WorkspaceRef, with_workspace
from lakebox.cli.output import OutputFormat, OutputOption, err_console, render
from lakebox.errors import BadRequestError
from lakebox.server.process import server_status, stop_server
from lakebox.workspace.layout import WorkspaceLayout
from lakebox.workspace.lookup import list_workspaces

app = typer.Typer(help="Create, list, show and delete workspaces.", no_args_is_help=True)


@app.command("create")
def create(
    subscription: Annotated[str, typer.Option("--subscription", "-s", help="Subscription id (any name).")],
    resource_group: Annotated[str, typer.Option("--resource-group", "-g", help="Resource group.")],
    name: Annotated[str, typer.Option("--name", "-n", help="Workspace name: 3-33 letters, digits, - or _.")],
    path: Annotated[Path | None, typer.Option(help="Folder for the workspace (default: under LAKEBOX_HOME).")] = None,
    database_url: Annotated[
        str | None,
        typer.Option(help="SQLAlchemy URL of the metadata database, e.g. postgresql+psycopg://… (default: SQLite)."),
    ] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Create a workspace: its folder, metadata database, MLflow store, default datastore and owner token."""
    with err_console.status(f"Creating workspace {name} …"):
        from lakebox.workspace.manager import create_workspace  # MLflow and the stores: not for every command

        layout, workspace = create_workspace(
            subscription,
            resource_group,
            name,
            path=path,
            database_url=database_url or settings.LAKEBOX_DATABASE_URL.get(),
        )
    render({**workspace.model_dump(mode="json"), "path": str(layout.root)}, output)


@app.command("list")
def list_(output: OutputOption = OutputFormat.TABLE) -> None:
    """List the workspaces registered in LAKEBOX_HOME."""
    rows = [
        {
            "name": entry.workspace_name,
            "resource_group": entry.resource_group,
            "subscription_id": entry.subscription_id,
            "path": str(entry.path),
            "exists": WorkspaceLayout(entry.path).is_workspace(),
        }
        for entry in list_workspaces()
    ]
    render(rows, output, columns=["name", "resource_group", "subscription_id", "path", "exists"])


@app.command("show")
@with_workspace
def show(
    workspace: WorkspaceRef,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Show a workspace, where its parts live, and whether its server runs (without starting it)."""
    layout = workspace.layout()
    from lakebox.workspace.manager import open_stores

    stores = open_stores(layout)
    try:
        entity = stores.workspaces.get()
    finally:
        stores.close()
    status = server_status(layout)
    url = status.record.url if status.record else None
    render(
        {
            **entity.model_dump(mode="json", exclude={"mlflow_tracking_uri"}),
            "path": str(layout.root),
            "config_file": str(layout.config_file),
            "database": _redacted_url(layout.database_url()),
            "mlflow_store": layout.mlflow_backend_uri(),
            "default_datastore": str(layout.default_datastore_dir),
            "server": url or "stopped",
            "mlflow_tracking_uri": f"{url}/mlflow" if url else None,
        },
        output,
    )


@app.command("delete")
@with_workspace
def delete(
    workspace: WorkspaceRef,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Stop the workspace's server and delete its folder, with every run, model and file in it."""
    layout = workspace.layout()
    if not yes:
        if not sys.stdin.isatty():
            raise BadRequestError(f"deleting {layout.root} needs --yes when not run interactively")
        typer.confirm(f"Delete the workspace at {layout.root} and everything in it?", abort=True)
    stop_server(layout)
    from lakebox.workspace.manager import delete_workspace

    delete_workspace(layout)
    err_console.print(f"Deleted workspace at {layout.root}")


def _redacted_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
