"""``/api/v1/workspace``: the workspace this server serves."""

from __future__ import annotations

import anyio
from fastapi import APIRouter, Request

from lakebox.entities import Principal, Workspace, WorkspaceUpdate
from lakebox.security import actions
from lakebox.server.auth import require
from lakebox.server.context import get_context
from lakebox.server.mlflow_app import MLFLOW_PREFIX

router = APIRouter(prefix="/workspace", tags=["workspace"])


def _with_tracking_uri(workspace: Workspace, request: Request) -> Workspace:
    base = str(request.base_url).rstrip("/")
    return workspace.model_copy(update={"mlflow_tracking_uri": base + MLFLOW_PREFIX})


@router.get("", response_model=Workspace, summary="Show the workspace")
def get_workspace(request: Request, _: Principal = require(actions.WORKSPACE_READ)) -> Workspace:
    return _with_tracking_uri(get_context(request).stores.workspaces.get(), request)


@router.patch("", response_model=Workspace, summary="Update the workspace's description and tags")
async def update_workspace(
    update: WorkspaceUpdate, request: Request, _: Principal = require(actions.WORKSPACE_WRITE)
) -> Workspace:
    context = get_context(request)
    workspace = await anyio.to_thread.run_sync(context.stores.workspaces.update, update)
    context.workspace = workspace
    return _with_tracking_uri(workspace, request)
