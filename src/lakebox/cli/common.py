"""Options every workspace-scoped command shares, and how they become a workspace or a client."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lakebox.client.ml_client import MLClient
from lakebox.workspace.layout import WorkspaceLayout
from lakebox.workspace.manager import find_workspace

WorkspaceNameOption = Annotated[
    str | None, typer.Option("--workspace-name", "-w", help="Workspace name (default: config.json or the only one).")
]
ResourceGroupOption = Annotated[str | None, typer.Option("--resource-group", "-g", help="Resource group.")]
SubscriptionOption = Annotated[str | None, typer.Option("--subscription", "-s", help="Subscription id.")]
PathOption = Annotated[Path | None, typer.Option("--path", help="Workspace folder, instead of a name.")]


def layout_from(
    workspace_name: str | None, resource_group: str | None, subscription: str | None, path: Path | None
) -> WorkspaceLayout:
    return find_workspace(path=path, name=workspace_name, resource_group=resource_group, subscription_id=subscription)


def client_from(
    workspace_name: str | None, resource_group: str | None, subscription: str | None, path: Path | None
) -> MLClient:
    """A client of the chosen workspace, starting its server when none is running."""
    return MLClient(path=layout_from(workspace_name, resource_group, subscription, path).root)
