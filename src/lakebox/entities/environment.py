"""Environments, with Azure ML's fields: a conda file (path or parsed), pip requirements, an image."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator


class Environment(BaseModel):
    """``conda_file`` may be a path (read when the object is made) or the parsed file; ``image`` is recorded."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    version: str | None = None
    conda_file: dict[str, Any] | None = None
    pip_requirements: list[str] | None = None
    image: str | None = None
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _read_conda_file(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("conda_file"), str | Path):
            path = Path(data["conda_file"]).expanduser()
            try:
                data = {**data, "conda_file": yaml.safe_load(path.read_text())}
            except (OSError, yaml.YAMLError) as exc:
                raise ValueError(f"cannot read conda file {path}: {exc}") from exc
        return data
