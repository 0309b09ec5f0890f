"""``ml_client.workspaces``: the workspace this client is connected to."""

from __future__ import annotations

from lakebox.client._http import ApiClient
from lakebox.client.poller import LROPoller
from lakebox.entities import Workspace, WorkspaceUpdate


class WorkspaceOperations:
    def __init__(self, api: ApiClient) -> None:
        self._api = api

    def get(self) -> Workspace:
        return Workspace.model_validate(self._api.request("GET", "/api/v1/workspace"))

    def begin_update(
        self, workspace: Workspace | None = None, *, description: str | None = None, tags: dict[str, str] | None = None
    ) -> LROPoller[Workspace]:
        """Update description and tags, from a (modified) ``Workspace`` or as keywords."""
        if workspace is not None:
            description = description if description is not None else workspace.description
            tags = tags if tags is not None else workspace.tags
        update = WorkspaceUpdate(description=description, tags=tags)
        body = self._api.request("PATCH", "/api/v1/workspace", json=update.model_dump(exclude_none=True))
        return LROPoller.completed(Workspace.model_validate(body))
