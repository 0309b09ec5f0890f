"""Workspaces: what a workspace is, its Azure-compatible ``config.json``, and what may be updated."""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Azure names: workspaces 3-33 of [A-Za-z0-9_-]; resource groups up to 90 of [\w.()-]. lakebox also
# uses them as folder names, so they start with a letter or digit and never contain a slash.
WORKSPACE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,32}$")
GROUP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.()-]{0,89}$")


def workspace_resource_id(subscription_id: str, resource_group: str, name: str) -> str:
    """The workspace's scope: ``/subscriptions/S/resourceGroups/R/providers/lakebox/workspaces/W``."""
    return f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/lakebox/workspaces/{name}"


def check_name(value: str, pattern: re.Pattern[str], what: str) -> str:
    if not pattern.fullmatch(value):
        raise ValueError(f"{what} {value!r} is invalid: it must match {pattern.pattern}")
    return value


class WorkspaceConfig(BaseModel):
    """The ``config.json`` that ``MLClient.from_config()`` reads: Azure ML's keys plus lakebox's own."""

    model_config = ConfigDict(extra="ignore")

    subscription_id: str
    resource_group: str
    workspace_name: str
    workspace_id: str | None = None
    endpoint: str | None = Field(default=None, description="URL of a remote lakebox server, when not local.")

    @property
    def resource_id(self) -> str:
        return workspace_resource_id(self.subscription_id, self.resource_group, self.workspace_name)

    @field_validator("workspace_name")
    @classmethod
    def _workspace_name(cls, value: str) -> str:
        return check_name(value, WORKSPACE_NAME, "workspace name")

    @field_validator("subscription_id", "resource_group")
    @classmethod
    def _group_names(cls, value: str) -> str:
        return check_name(value, GROUP_NAME, "subscription/resource group")


class Workspace(BaseModel):
    """A workspace as the API shows it."""

    id: str
    name: str
    subscription_id: str
    resource_group: str
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    created_at: datetime
    updated_at: datetime
    location: str = "local"
    mlflow_tracking_uri: str | None = None

    @property
    def resource_id(self) -> str:
        return workspace_resource_id(self.subscription_id, self.resource_group, self.name)


class WorkspaceUpdate(BaseModel):
    """Fields of a workspace that ``workspaces.begin_update`` may change."""

    model_config = ConfigDict(extra="forbid")

    description: str | None = Field(default=None, max_length=4096)
    tags: dict[str, str] | None = None
