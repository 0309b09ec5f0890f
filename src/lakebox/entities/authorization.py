"""Role definitions and role assignments, as Azure RBAC shapes them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator


class RoleDefinition(BaseModel):
    """What a role allows: control-plane ``actions`` and ``data_actions``, minus their ``not_`` lists.

    Patterns use ``*`` as a wildcard and match case-insensitively, as Azure's do. Custom roles are
    given as Azure role JSON (``roleName``/``Name``, ``Actions``, ``NotActions``, ``DataActions``, …).
    """

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    name: str = Field(min_length=1, max_length=128, validation_alias="roleName")
    description: str = ""
    actions: list[str] = Field(default_factory=list)
    not_actions: list[str] = Field(default_factory=list, validation_alias="notActions")
    data_actions: list[str] = Field(default_factory=list, validation_alias="dataActions")
    not_data_actions: list[str] = Field(default_factory=list, validation_alias="notDataActions")
    builtin: bool = False

    @field_validator("actions", "not_actions", "data_actions", "not_data_actions")
    @classmethod
    def _patterns(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            if not pattern or any(c.isspace() for c in pattern):
                raise ValueError(f"action pattern {pattern!r} is empty or contains whitespace")
        return patterns


class RoleAssignmentCreate(BaseModel):
    """``assignee``: an identity's name or id; ``scope``: absolute, or relative to the workspace (``endpoints/E``)."""

    model_config = ConfigDict(extra="forbid")

    assignee: str = Field(min_length=1)
    role: str = Field(min_length=1)
    scope: str | None = None


class RoleAssignment(BaseModel):
    id: str
    principal_id: str
    principal_name: str
    role: str
    scope: str
    created_at: datetime
