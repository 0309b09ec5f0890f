"""The checks Synapse/ADF artifacts (see :mod:`lakebox.pipelines.folder`) must pass before they are published.

Validation reports every problem at once: unknown activity or dataset types (named), references to
datasets, linked services or pipelines that do not exist, duplicate activity names, dependency
problems (see :mod:`lakebox.pipelines.graph`), undeclared variables, bad timespans, and expressions
that do not parse (with the position).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lakebox.entities.pipeline import Artifact
from lakebox.errors import LakeboxError
from lakebox.expressions.language import is_dynamic, parse_template
from lakebox.expressions.timespan import parse_timespan
from lakebox.mlops import triggers
from lakebox.pipelines import graph
from lakebox.pipelines.activities import ACTIVITY_TYPES
from lakebox.pipelines.datasets import DATASET_TYPES
from lakebox.pipelines.folder import ArtifactBundle

_BODIES = ("activities", "ifTrueActivities", "ifFalseActivities", "defaultActivities")


def problems(bundle: ArtifactBundle, published: dict[str, set[str]]) -> list[str]:
    """Everything wrong with the bundle, given the names already published in the workspace
    (``published`` by kind: datasets, linked_services, pipelines, notebooks, spark_job_definitions,
    spark_pools)."""
    known = {kind: {name.lower() for name in names} for kind, names in published.items()}
    for kind in ("datasets", "pipelines", "notebooks", "spark_job_definitions"):
        known[kind] = known.get(kind, set()) | {a.name.lower() for a in getattr(bundle, kind)}
    known["linked_services"] = known.get("linked_services", set()) | {
        str(s.get("name", "")).lower() for s in bundle.linked_services
    }
    found: list[str] = []
    for dataset in bundle.datasets:
        found += _dataset_problems(dataset, known["linked_services"])
    for pipeline in bundle.pipelines:
        found += _pipeline_problems(pipeline, known)
    for definition in [*bundle.notebooks, *bundle.spark_job_definitions]:
        pool = definition.properties.get("bigDataPool") or definition.properties.get("targetBigDataPool") or {}
        if pool and str(pool.get("referenceName", "")).lower() not in known.get("spark_pools", set()):
            found.append(f"{definition.name}: Spark pool {pool.get('referenceName')!r} does not exist")
    for trigger in bundle.triggers:
        found += triggers.problems(trigger)
        for target in triggers.targets(trigger):
            if target.pipeline.lower() not in known["pipelines"]:
                found.append(f"trigger {trigger.name}: pipeline {target.pipeline!r} does not exist")
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


def _pipeline_problems(pipeline: Artifact, known: dict[str, set[str]]) -> list[str]:
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
            found += [f"{where}activity {name!r}: {p}" for p in _activity_problems(item, known)]
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


_REFERENCES = {  # activity type: (typeProperties key, known kind, noun)
    "ExecutePipeline": ("pipeline", "pipelines", "pipeline"),
    "SynapseNotebook": ("notebook", "notebooks", "notebook"),
    "SparkJob": ("sparkJob", "spark_job_definitions", "Spark job definition"),
}


def _activity_problems(item: dict[str, Any], known: dict[str, set[str]]) -> list[str]:
    found = []
    kind = item.get("type")
    if kind not in ACTIVITY_TYPES:
        return [f"type {kind!r} is not supported (supported: {', '.join(sorted(ACTIVITY_TYPES))})"]
    properties = item.get("typeProperties") or {}
    for reference in _dataset_references(item):
        if str(reference.get("referenceName", "")).lower() not in known["datasets"]:
            found.append(f"dataset {reference.get('referenceName')!r} does not exist")
    service = (item.get("linkedServiceName") or {}).get("referenceName")
    if service is not None and str(service).lower() not in known["linked_services"]:
        found.append(f"linked service {service!r} does not exist")
    if kind in _REFERENCES:
        key, kind_known, noun = _REFERENCES[kind]
        target = str((properties.get(key) or {}).get("referenceName", ""))
        if target.lower() not in known.get(kind_known, set()):
            found.append(f"{noun} {target!r} does not exist")
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
