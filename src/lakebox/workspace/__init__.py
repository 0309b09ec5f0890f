"""Workspaces on disk: their folder layout, the registry of known workspaces, create, find and delete.

Creating and deleting are imported on first use: they bring in MLflow and the stores, which a client
that only finds a workspace should not pay for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lakebox.workspace.layout import WorkspaceLayout
from lakebox.workspace.lookup import find_workspace, list_workspaces

if TYPE_CHECKING:
    from lakebox.workspace.manager import create_workspace, delete_workspace

__all__ = ["WorkspaceLayout", "create_workspace", "delete_workspace", "find_workspace", "list_workspaces"]


def __getattr__(name: str) -> Any:
    if name in ("create_workspace", "delete_workspace"):
        from lakebox.workspace import manager

        return getattr(manager, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
