"""A folder of Synapse/ADF artifacts as git keeps them: ``pipeline/``, ``dataset/``, ``linkedService/``,
``trigger/``, ``notebook/`` and ``sparkJobDefinition/``, one JSON file per artifact."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from pydantic import ValidationError as PydanticValidationError

from lakebox.entities.pipeline import Artifact
from lakebox.errors import ValidationError

FOLDERS = {
    "pipeline": "pipelines",
    "dataset": "datasets",
    "linkedService": "linked_services",
    "trigger": "triggers",
    "notebook": "notebooks",
    "sparkJobDefinition": "spark_job_definitions",
}


class ArtifactBundle(BaseModel):
    """What a publish sends: every artifact of a folder, as written."""

    pipelines: list[Artifact] = Field(default_factory=list)
    datasets: list[Artifact] = Field(default_factory=list)
    linked_services: list[dict[str, Any]] = Field(default_factory=list)
    triggers: list[Artifact] = Field(default_factory=list)
    notebooks: list[Artifact] = Field(default_factory=list)
    spark_job_definitions: list[Artifact] = Field(default_factory=list)


def load_folder(folder: Path) -> ArtifactBundle:
    """The artifacts under ``folder``; a file that is not valid JSON is an error naming it and the line."""
    if not folder.is_dir():
        raise ValidationError(f"{folder} is not a folder of pipeline artifacts")
    found: dict[str, list[Any]] = {key: [] for key in FOLDERS.values()}
    for sub, key in FOLDERS.items():
        for file in sorted((folder / sub).glob("*.json")):
            try:
                found[key].append(json.loads(file.read_text()))
            except json.JSONDecodeError as exc:
                raise ValidationError(
                    f"{file}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
                ) from None
    if not any(found.values()):
        raise ValidationError(f"{folder} has no artifacts (expected {', '.join(f'{s}/*.json' for s in FOLDERS)})")
    try:
        return ArtifactBundle.model_validate(found)
    except PydanticValidationError as exc:
        error = exc.errors()[0]
        raise ValidationError(f"{'.'.join(map(str, error['loc']))}: {error['msg']}") from None
