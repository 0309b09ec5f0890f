"""``/api/v1/pipelines``, ``/api/v1/datasets``, ``/api/v1/triggers`` and ``/api/v1/pipelineRuns``: Synapse/ADF
artifacts published from a folder, and the runs of pipelines with their activity runs."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from lakebox.entities import Principal
from lakebox.entities.linked_service import LinkedService
from lakebox.entities.pipeline import ActivityRun, Artifact, PipelineRun, PipelineRunRequest, RerunRequest
from lakebox.entities.schedule import ScheduleFire
from lakebox.errors import ValidationError
from lakebox.mlops import triggers
from lakebox.mlops.scheduler import STARTED
from lakebox.pipelines.artifacts import problems
from lakebox.pipelines.folder import ArtifactBundle
from lakebox.security import actions
from lakebox.server.auth import require
from lakebox.server.context import ServerContext, get_context

router = APIRouter(tags=["pipelines"])
_PIPELINE = "pipelines/{name}"


def _invoked_by(principal: Principal) -> dict[str, str]:
    return {"name": principal.name, "invokedByType": "Manual"}


def _problems(context: ServerContext, bundle: ArtifactBundle) -> list[str]:
    store = context.stores.pipelines
    published = {
        kind: {artifact.name for artifact in getattr(store, kind).list()}
        for kind in ("datasets", "pipelines", "notebooks", "spark_job_definitions")
    }
    published["linked_services"] = {s.name for s in context.stores.linked_services.list()}
    published["spark_pools"] = {p.name for p in context.stores.spark_pools.list()}
    return problems(bundle, published)


@router.post("/pipelineArtifacts/validate", summary="Check a folder's artifacts without publishing them")
def validate(
    body: ArtifactBundle, request: Request, _: Principal = require(actions.PIPELINES_READ)
) -> dict[str, list[str]]:
    return {"problems": _problems(get_context(request), body)}


@router.post("/pipelineArtifacts", summary="Publish a folder's artifacts (all of them, or none if any is wrong)")
def publish(
    body: ArtifactBundle, request: Request, principal: Principal = require(actions.PIPELINES_WRITE)
) -> dict[str, list[str]]:
    context = get_context(request)
    services = [LinkedService.model_validate(service) for service in body.linked_services]
    if services:
        context.authorizer.check(principal, actions.LINKED_SERVICES_WRITE, context.scope_of())
    found = _problems(context, body)
    if found:
        raise ValidationError(f"{len(found)} problems: " + "; ".join(found), details={"problems": found})
    from lakebox.lake.linked_services import LinkedServices

    for service in services:
        LinkedServices(context.stores, context.workspace.name).store(service, principal)
    store = context.stores.pipelines
    for dataset in body.datasets:
        store.datasets.put(dataset)
    for pipeline in body.pipelines:
        store.pipelines.put(pipeline)
    for trigger in body.triggers:
        store.triggers.put(trigger)
        _reanchor(context, trigger)
    for notebook in body.notebooks:
        store.notebooks.put(notebook)
    for definition in body.spark_job_definitions:
        store.spark_job_definitions.put(definition)
    published = {kind: [a.name for a in getattr(body, kind)] for kind in ("datasets", "pipelines", "triggers")}
    published |= {kind: [a.name for a in getattr(body, kind)] for kind in ("notebooks", "spark_job_definitions")}
    return {"linked_services": [s.name for s in services], **published}


def _reanchor(context: ServerContext, trigger: Artifact) -> None:
    """A (re)published or restarted schedule or storage event trigger counts from now; a tumbling window
    trigger keeps its windows."""
    if triggers.kind(trigger) != "TumblingWindowTrigger":
        context.stores.schedules.forget("trigger", trigger.name)


@router.post("/triggers/{name}/start", response_model=Artifact, summary="Start a trigger (it fires from now on)")
def start_trigger(name: str, request: Request, _: Principal = require(actions.PIPELINES_WRITE)) -> Artifact:
    return _set_runtime_state(get_context(request), name, "Started")


@router.post("/triggers/{name}/stop", response_model=Artifact, summary="Stop a trigger")
def stop_trigger(name: str, request: Request, _: Principal = require(actions.PIPELINES_WRITE)) -> Artifact:
    return _set_runtime_state(get_context(request), name, "Stopped")


@router.get("/triggers/{name}/runs", response_model=list[ScheduleFire], summary="When a trigger fired, latest first")
def trigger_runs(
    name: str, request: Request, limit: int = Query(100, ge=1, le=1000), _: Principal = require(actions.PIPELINES_READ)
) -> list[ScheduleFire]:
    context = get_context(request)
    context.stores.pipelines.triggers.get(name)
    return [f for f in context.stores.schedules.fires("trigger", name, limit) if f.status != STARTED]


def _set_runtime_state(context: ServerContext, name: str, state: str) -> Artifact:
    trigger = context.stores.pipelines.triggers.get(name)
    if triggers.is_started(trigger) != (state == "Started"):
        trigger = trigger.model_copy(update={"properties": trigger.properties | {"runtimeState": state}})
        context.stores.pipelines.triggers.put(trigger)
        if state == "Started":
            _reanchor(context, trigger)
    return trigger


@router.get("/pipelines", response_model=list[Artifact], summary="List published pipelines")
def list_pipelines(request: Request, _: Principal = require(actions.PIPELINES_READ)) -> list[Artifact]:
    return get_context(request).stores.pipelines.pipelines.list()


@router.get("/pipelines/{name}", response_model=Artifact, summary="A published pipeline")
def get_pipeline(
    name: str, request: Request, _: Principal = require(actions.PIPELINES_READ, scope=_PIPELINE)
) -> Artifact:
    return get_context(request).stores.pipelines.pipelines.get(name)


@router.delete("/pipelines/{name}", status_code=204, summary="Delete a published pipeline")
def delete_pipeline(
    name: str, request: Request, _: Principal = require(actions.PIPELINES_DELETE, scope=_PIPELINE)
) -> None:
    get_context(request).stores.pipelines.pipelines.delete(name)


@router.get("/datasets", response_model=list[Artifact], summary="List published datasets")
def list_datasets(request: Request, _: Principal = require(actions.PIPELINES_READ)) -> list[Artifact]:
    return get_context(request).stores.pipelines.datasets.list()


@router.get("/triggers", response_model=list[Artifact], summary="List published triggers")
def list_triggers(request: Request, _: Principal = require(actions.PIPELINES_READ)) -> list[Artifact]:
    return get_context(request).stores.pipelines.triggers.list()


@router.post("/pipelines/{name}/createRun", response_model=PipelineRun, status_code=201, summary="Run a pipeline")
def create_run(
    name: str,
    body: PipelineRunRequest,
    request: Request,
    principal: Principal = require(actions.PIPELINES_RUN, scope=_PIPELINE),
) -> PipelineRun:
    return get_context(request).pipelines.run(name, body.parameters, _invoked_by(principal))


@router.get("/pipelineRuns", response_model=list[PipelineRun], summary="Pipeline runs, newest first")
def list_runs(
    request: Request,
    pipeline: str | None = Query(None, description="Only this pipeline's runs."),
    limit: int = Query(100, ge=1, le=1000),
    _: Principal = require(actions.PIPELINES_READ),
) -> list[PipelineRun]:
    return get_context(request).stores.pipelines.list_runs(pipeline, limit=limit)


@router.get("/pipelineRuns/{run_id}", response_model=PipelineRun, summary="A pipeline run")
def get_run(run_id: str, request: Request, _: Principal = require(actions.PIPELINES_READ)) -> PipelineRun:
    return get_context(request).stores.pipelines.get_run(run_id)


@router.get("/pipelineRuns/{run_id}/activityRuns", response_model=list[ActivityRun], summary="A run's activity runs")
def activity_runs(run_id: str, request: Request, _: Principal = require(actions.PIPELINES_READ)) -> list[ActivityRun]:
    store = get_context(request).stores.pipelines
    store.get_run(run_id)
    return store.activity_runs(run_id)


@router.post("/pipelineRuns/{run_id}/cancel", response_model=PipelineRun, summary="Cancel a pipeline run")
def cancel_run(run_id: str, request: Request, _: Principal = require(actions.PIPELINE_RUNS_CANCEL)) -> PipelineRun:
    return get_context(request).pipelines.cancel(run_id)


@router.post("/pipelineRuns/{run_id}/rerun", response_model=PipelineRun, status_code=201, summary="Run again")
def rerun(
    run_id: str, body: RerunRequest, request: Request, principal: Principal = require(actions.PIPELINES_RUN)
) -> PipelineRun:
    return get_context(request).pipelines.rerun(
        run_id, from_failure=body.from_failure, invoked_by=_invoked_by(principal)
    )
