"""Compute clusters, with the fields of Azure ML's ``ComputeCluster``."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

COMPUTE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,31}$")


class ComputeCluster(BaseModel):
    """A pool of up to ``max_instances`` job slots; ``size`` sets each slot's cores and memory."""

    model_config = ConfigDict(extra="forbid")

    name: str
    type: Literal["amlcompute"] = "amlcompute"
    size: str = "Standard_DS3_v2"
    min_instances: int = Field(default=0, ge=0)
    max_instances: int = Field(default=1, ge=1, le=256)
    idle_time_before_scale_down: int = Field(default=120, ge=0, description="Seconds; recorded and shown.")
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    provisioning_state: str | None = Field(default=None, description="Set by the server.")
    created_at: datetime | None = Field(default=None, description="Set by the server.")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not COMPUTE_NAME.fullmatch(value):
            raise ValueError(f"compute name {value!r} must be 2-32 letters, digits or -, starting with a letter")
        return value

    @model_validator(mode="after")
    def _instances(self) -> ComputeCluster:
        if self.min_instances > self.max_instances:
            raise ValueError(f"min_instances ({self.min_instances}) exceeds max_instances ({self.max_instances})")
        return self
