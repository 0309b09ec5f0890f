"""``/api/v1/batchEndpoints``: batch endpoints, their deployments, and invocations (each one a job)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from lakebox.batch.endpoints import WAREHOUSE_PREFIX
from lakebox.entities import Job, Principal
from lakebox.entities.batch import BatchDeployment, BatchEndpoint, BatchInvocation
from lakebox.security import actions
from lakebox.server.auth import require
from lakebox.server.context import get_context
from lakebox.server.routers._put import check_name, set_created

router = APIRouter(prefix="/batchEndpoints", tags=["batch endpoints"])
_ENDPOINT = "batchEndpoints/{name}"


def _with_uri(request: Request, endpoint: BatchEndpoint) -> BatchEndpoint:
    uri = str(request.url_for("invoke", name=endpoint.name))
    return endpoint.model_copy(update={"scoring_uri": uri})


@router.put("/{name}", response_model=BatchEndpoint, summary="Create or update a batch endpoint")
def put_endpoint(
    name: str,
    body: BatchEndpoint,
    request: Request,
    response: Response,
    _: Principal = require(actions.BATCH_ENDPOINTS_WRITE, scope=_ENDPOINT),
) -> BatchEndpoint:
    check_name("batch endpoint", body.name, name)
    endpoint, created = get_context(request).batch_endpoints.put_endpoint(body)
    set_created(response, created)
    return _with_uri(request, endpoint)


@router.get("", response_model=list[BatchEndpoint], summary="List batch endpoints")
def list_endpoints(request: Request, _: Principal = require(actions.BATCH_ENDPOINTS_READ)) -> list[BatchEndpoint]:
    return [_with_uri(request, e) for e in get_context(request).batch_endpoints.list_endpoints()]


@router.get("/{name}", response_model=BatchEndpoint, summary="A batch endpoint, with its invocation URI")
def get_endpoint(
    name: str, request: Request, _: Principal = require(actions.BATCH_ENDPOINTS_READ, scope=_ENDPOINT)
) -> BatchEndpoint:
    return _with_uri(request, get_context(request).batch_endpoints.get_endpoint(name))


@router.delete("/{name}", status_code=204, summary="Delete a batch endpoint and its deployments")
def delete_endpoint(
    name: str, request: Request, _: Principal = require(actions.BATCH_ENDPOINTS_DELETE, scope=_ENDPOINT)
) -> None:
    get_context(request).batch_endpoints.delete_endpoint(name)


@router.post("/{name}/invoke", response_model=Job, status_code=201, summary="Start a batch scoring job")
def invoke(
    name: str,
    body: BatchInvocation,
    request: Request,
    principal: Principal = require(actions.BATCH_ENDPOINTS_INVOKE, scope=_ENDPOINT),
) -> Job:
    context = get_context(request)
    if str(body.input.get("path", "")).startswith(WAREHOUSE_PREFIX):
        context.authorizer.check(principal, actions.WAREHOUSE_READ, context.scope_of("warehouse"), data=True)
    return context.batch_endpoints.invoke(name, body, principal)


@router.put(
    "/{name}/deployments/{deployment}", response_model=BatchDeployment, summary="Create or update a batch deployment"
)
def put_deployment(
    name: str,
    deployment: str,
    body: BatchDeployment,
    request: Request,
    response: Response,
    _: Principal = require(actions.BATCH_ENDPOINTS_WRITE, scope=_ENDPOINT),
) -> BatchDeployment:
    check_name("batch deployment", body.name, deployment)
    check_name("batch endpoint", body.endpoint_name, name)
    stored, created = get_context(request).batch_endpoints.put_deployment(body)
    set_created(response, created)
    return stored


@router.get("/{name}/deployments", response_model=list[BatchDeployment], summary="List an endpoint's deployments")
def list_deployments(
    name: str, request: Request, _: Principal = require(actions.BATCH_ENDPOINTS_READ, scope=_ENDPOINT)
) -> list[BatchDeployment]:
    return get_context(request).batch_endpoints.list_deployments(name)


@router.get("/{name}/deployments/{deployment}", response_model=BatchDeployment, summary="A batch deployment")
def get_deployment(
    name: str, deployment: str, request: Request, _: Principal = require(actions.BATCH_ENDPOINTS_READ, scope=_ENDPOINT)
) -> BatchDeployment:
    return get_context(request).batch_endpoints.get_deployment(name, deployment)


@router.delete("/{name}/deployments/{deployment}", status_code=204, summary="Delete a batch deployment")
def delete_deployment(
    name: str,
    deployment: str,
    request: Request,
    _: Principal = require(actions.BATCH_ENDPOINTS_DELETE, scope=_ENDPOINT),
) -> None:
    get_context(request).batch_endpoints.delete_deployment(name, deployment)
