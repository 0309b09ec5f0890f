"""Workspaces on disk: their folder layout, the registry of known workspaces, create, find and delete."""

from lakebox.workspace.layout import WorkspaceLayout
from lakebox.workspace.manager import create_workspace, delete_workspace, find_workspace, list_workspaces

__all__ = ["WorkspaceLayout", "create_workspace", "delete_workspace", "find_workspace", "list_workspaces"]
