"""A folder of Synapse/ADF artifacts as git keeps them (``pipeline/``, ``dataset/``, ``linkedService/``,
``trigger/``), and the checks a pipeline must pass before it is published.

Validation reports every problem at once: unknown activity or dataset types (named), references to
datasets, linked services or pipelines that do not exist, duplicate activity names, dependency
problems (see :mod:`lakebox.pipelines.graph`), undeclared variables, bad timespans, and expressions
that do not parse (with the position).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from pydantic import ValidationError as PydanticValidationError

from lakebox.entities.pipeline import Artifact
from lakebox.errors import LakeboxError, ValidationError
from lakebox.pipelines import graph
from lakebox.pipelines.activities import ACTIVITY_TYPES
from lakebox.pipelines.datasets import DATASET_TYPES
from lakebox.pipelines.expressions import is_dynamic, parse_template
from lakebox.pipelines.timespan import parse_timespan

FOLDERS = {"pipeline": "pipelines", "dataset": "datasets", "linkedService": "linked_services", "trigger": "triggers"}
_BODIES = ("activities", "ifTrueActivities", "ifFalseActivities", "defaultActivities")


class ArtifactBundle(BaseModel):
    """What a publish sends: every artifact of a folder, as written."""

    pipelines: list[Artifact] = Field(default_factory=list)
    datasets: list[Artifact] = Field(default_factory=list)
    linked_services: list[dict[str, Any]] = Field(default_factory=list)
    triggers: list[Artifact] = Field(default_factory=list)


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


def problems(bundle: ArtifactBundle, datasets: set[str], linked_services: set[str], pipelines: set[str]) -> list[str]:
    """Everything wrong with the bundle's pipelines and datasets, given the names already published."""
    datasets = {name.lower() for name in datasets} | {d.name.lower() for d in bundle.datasets}
    services = {name.lower() for name in linked_services} | {
        str(s.get("name", "")).lower() for s in bundle.linked_services
    }
    pipelines = {name.lower() for name in pipelines} | {p.name.lower() for p in bundle.pipelines}
    found: list[str] = []
    for dataset in bundle.datasets:
        found += _dataset_problems(dataset, services)
    for pipeline in bundle.pipelines:
        found += _pipeline_problems(pipeline, datasets, services, pipelines)
    for trigger in bundle.triggers:
        for reference in trigger.properties.get("pipelines") or []:
            name = str((reference.get("pipelineReference") or {}).get("referenceName", ""))
            if name.lower() not in pipelines:
                found.append(f"trigger {trigger.name}: pipeline {name!r} does not exist")
    return found


def _dataset_problems(dataset: Artifact, services: set[str]) -> list[str]:
    found = []
    kind = dataset.properties.get("type")
    if kind not in DATASET_TYPES:
        found.append(f"dataset {dataset.name}: type {kind!r} is not supported ({', '.join(DATASET_TYPES)})")
    service = str((dataset.properties.get("linkedServiceName") or {}).get("referenceName", ""))
    if service.lower() not in services:
        found.append(f"dataset {dataset.name}: linked service {service!r} does not exist")
    found += [f"dataset {dataset.name}: {p}" for p in _expression_problems(dataset.properties)]
    return found


def _pipeline_problems(pipeline: Artifact, datasets: set[str], services: set[str], pipelines: set[str]) -> list[str]:
    where = f"pipeline {pipeline.name}: "
    found: list[str] = []
    activities = pipeline.properties.get("activities")
    if not isinstance(activities, list) or not activities:
        return [f"{where}properties.activities must be a non-empty list"]
    variables = set((pipeline.properties.get("variables") or {}).keys())
    seen: set[str] = set()
    for level, label in _levels(activities, ""):
        found += graph.problems(level, f"{where}{label}")
        for item in level:
            name = str(item.get("name", ""))
            if name in seen:
                found.append(f"{where}two activities are named {name!r}; names must be unique in a pipeline")
            seen.add(name)
            found += [f"{where}activity {name!r}: {p}" for p in _activity_problems(item, datasets, services, pipelines)]
            if item.get("type") in ("SetVariable", "AppendVariable"):
                variable = (item.get("typeProperties") or {}).get("variableName")
                system = (item.get("typeProperties") or {}).get("setSystemVariable")
                if not system and variable not in variables:
                    found.append(f"{where}activity {name!r} sets variable {variable!r}, which is not declared")
    found += [f"{where}{p}" for p in _expression_problems(pipeline.properties)]
    return found


def _levels(activities: list[dict[str, Any]], label: str) -> Iterator[tuple[list[dict[str, Any]], str]]:
    """Each list of activities: the pipeline's, then every container's bodies."""
    yield activities, label
    for item in activities:
        properties = item.get("typeProperties") or {}
        for key in _BODIES:
            if isinstance(properties.get(key), list):
                yield from _levels(properties[key], f"{label}{item.get('name')}.{key}: ")
        for case in properties.get("cases") or []:
            yield from _levels(case.get("activities") or [], f"{label}{item.get('name')}.case {case.get('value')}: ")


def _activity_problems(item: dict[str, Any], datasets: set[str], services: set[str], pipelines: set[str]) -> list[str]:
    found = []
    kind = item.get("type")
    if kind not in ACTIVITY_TYPES:
        return [f"type {kind!r} is not supported (supported: {', '.join(sorted(ACTIVITY_TYPES))})"]
    properties = item.get("typeProperties") or {}
    for reference in _dataset_references(item):
        if str(reference.get("referenceName", "")).lower() not in datasets:
            found.append(f"dataset {reference.get('referenceName')!r} does not exist")
    service = (item.get("linkedServiceName") or {}).get("referenceName")
    if service is not None and str(service).lower() not in services:
        found.append(f"linked service {service!r} does not exist")
    if kind == "ExecutePipeline":
        target = str((properties.get("pipeline") or {}).get("referenceName", ""))
        if target.lower() not in pipelines:
            found.append(f"pipeline {target!r} does not exist")
    policy = item.get("policy") or {}
    if "timeout" in policy:
        try:
            parse_timespan(str(policy["timeout"]))
        except LakeboxError as exc:
            found.append(f"policy.timeout: {exc.message}")
    return found


def _dataset_references(item: dict[str, Any]) -> list[dict[str, Any]]:
    properties = item.get("typeProperties") or {}
    references = [*(item.get("inputs") or []), *(item.get("outputs") or [])]
    if isinstance(properties.get("dataset"), dict):
        references.append(properties["dataset"])
    for key in ("inputDatasets", "outputDatasets"):
        references += [entry.get("dataset") or {} for entry in properties.get(key) or []]
    return references


def _expression_problems(value: Any, where: str = "") -> list[str]:
    if isinstance(value, str):
        if not is_dynamic(value):
            return []
        try:
            parse_template(value)
        except LakeboxError as exc:
            return [f"{where or 'expression'} {value!r}: {exc.message}"]
        return []
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _expression_problems(item, f"{where}.{key}".lstrip("."))]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in _expression_problems(item, f"{where}[{index}]")]
    return []
