"""Find workspaces: by folder, by name in the registry, or by a ``config.json`` as Azure ML finds one.

Nothing here opens a store, so a client or a command pays only for reading a few small files.
"""

from __future__ import annotations

import json
from pathlib import Path

from lakebox.errors import BadRequestError, NotFoundError
from lakebox.workspace.layout import CONFIG_FILE, WorkspaceLayout
from lakebox.workspace.registry import RegistryEntry, WorkspaceRegistry


def list_workspaces(registry: WorkspaceRegistry | None = None) -> list[RegistryEntry]:
    return (registry or WorkspaceRegistry()).entries()


def find_workspace(
    *,
    path: Path | None = None,
    name: str | None = None,
    resource_group: str | None = None,
    subscription_id: str | None = None,
    registry: WorkspaceRegistry | None = None,
) -> WorkspaceLayout:
    """The workspace named by ``path``, by name (and group, subscription), by a ``config.json`` found
    from the current folder upwards, or the only registered workspace, in that order."""
    registry = registry or WorkspaceRegistry()
    if path is not None:
        layout = WorkspaceLayout(path.resolve())
        if not layout.is_workspace():
            raise NotFoundError(f"{layout.root} is not a lakebox workspace")
        return layout
    if name is None:
        config_file = find_config_file(Path.cwd())
        if config_file is not None:
            if WorkspaceLayout(config_file.parent).is_workspace():
                return WorkspaceLayout(config_file.parent)
            config = WorkspaceLayout(config_file.parent).read_config()
            name, resource_group, subscription_id = (
                config.workspace_name,
                config.resource_group,
                config.subscription_id,
            )
    matches = [
        entry
        for entry in registry.entries()
        if (name is None or entry.workspace_name.lower() == name.lower())
        and (resource_group is None or entry.resource_group.lower() == resource_group.lower())
        and (subscription_id is None or entry.subscription_id.lower() == subscription_id.lower())
    ]
    if not matches:
        wanted = f"workspace {name!r}" if name else "workspace"
        raise NotFoundError(
            f"found no {wanted} in {registry.file}; create one with "
            "`lakebox workspace create --subscription S --resource-group R --name W`"
        )
    if len(matches) > 1:
        listed = ", ".join(f"{m.subscription_id}/{m.resource_group}/{m.workspace_name}" for m in matches)
        raise BadRequestError(f"several workspaces match ({listed}); name one (with its resource group)")
    layout = WorkspaceLayout(matches[0].path)
    if not layout.is_workspace():
        raise NotFoundError(f"workspace {matches[0].workspace_name!r} is registered at {layout.root}, which is gone")
    return layout


def find_config_file(start: Path) -> Path | None:
    """The nearest ``config.json`` or ``.azureml/config.json`` at or above ``start``, as Azure ML looks."""
    for folder in (start, *start.parents):
        for candidate in (folder / CONFIG_FILE, folder / ".azureml" / CONFIG_FILE):
            if candidate.is_file() and _names_a_workspace(candidate):
                return candidate
    return None


def _names_a_workspace(config_file: Path) -> bool:
    try:
        return "workspace_name" in json.loads(config_file.read_text())
    except (ValueError, OSError):
        return False
