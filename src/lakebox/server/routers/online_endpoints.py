"""``/api/v1/onlineEndpoints``: endpoints, their keys and tokens, and their deployments."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from lakebox.entities import Principal
from lakebox.entities.endpoint import (
    DeploymentLogs,
    EndpointAuthKeys,
    EndpointAuthToken,
    ManagedOnlineDeployment,
    ManagedOnlineEndpoint,
)
from lakebox.entities.rollout import DeployIfBetter, Rollout
from lakebox.errors import NotFoundError
from lakebox.security import actions
from lakebox.server.auth import require
from lakebox.server.context import get_context
from lakebox.server.routers._put import check_name, set_created

router = APIRouter(prefix="/onlineEndpoints", tags=["online endpoints"])
_ENDPOINT = "onlineEndpoints/{name}"


class RegenerateKeys(BaseModel):
    key_type: str = "primary"


@router.put("/{name}", response_model=ManagedOnlineEndpoint, summary="Create or update an endpoint (traffic included)")
def put_endpoint(
    name: str,
    body: ManagedOnlineEndpoint,
    request: Request,
    response: Response,
    _: Principal = require(actions.ENDPOINTS_WRITE, scope=_ENDPOINT),
) -> ManagedOnlineEndpoint:
    check_name("endpoint", body.name, name)
    endpoint, created = get_context(request).endpoints.put_endpoint(body)
    set_created(response, created)
    return endpoint


@router.get("", response_model=list[ManagedOnlineEndpoint], summary="List endpoints")
def list_endpoints(request: Request, _: Principal = require(actions.ENDPOINTS_READ)) -> list[ManagedOnlineEndpoint]:
    return get_context(request).endpoints.list_endpoints()


@router.get("/{name}", response_model=ManagedOnlineEndpoint, summary="An endpoint, with its scoring URI")
def get_endpoint(
    name: str, request: Request, _: Principal = require(actions.ENDPOINTS_READ, scope=_ENDPOINT)
) -> ManagedOnlineEndpoint:
    return get_context(request).endpoints.get_endpoint(name)


@router.delete("/{name}", status_code=204, summary="Delete an endpoint and its deployments")
def delete_endpoint(
    name: str, request: Request, _: Principal = require(actions.ENDPOINTS_DELETE, scope=_ENDPOINT)
) -> None:
    get_context(request).endpoints.delete_endpoint(name)


@router.post("/{name}/listKeys", response_model=EndpointAuthKeys, summary="The endpoint's keys (key auth)")
def list_keys(
    name: str, request: Request, _: Principal = require(actions.ENDPOINT_KEYS_LIST, scope=_ENDPOINT)
) -> EndpointAuthKeys:
    return get_context(request).endpoints.keys(name)


@router.post("/{name}/token", response_model=EndpointAuthToken, summary="A scoring token (aml_token auth)")
def get_token(
    name: str, request: Request, _: Principal = require(actions.ENDPOINT_SCORE, scope=_ENDPOINT)
) -> EndpointAuthToken:
    return get_context(request).endpoints.token(name)


@router.post("/{name}/regenerateKeys", status_code=204, summary="Replace the primary or secondary key")
def regenerate_keys(
    name: str,
    body: RegenerateKeys,
    request: Request,
    _: Principal = require(actions.ENDPOINT_KEYS_REGENERATE, scope=_ENDPOINT),
) -> None:
    get_context(request).endpoints.regenerate_key(name, body.key_type)


@router.put(
    "/{name}/deployments/{deployment}",
    response_model=ManagedOnlineDeployment,
    summary="Create or update a deployment; it provisions in the background (poll its provisioning_state)",
)
def put_deployment(
    name: str,
    deployment: str,
    body: ManagedOnlineDeployment,
    request: Request,
    response: Response,
    principal: Principal = require(actions.ENDPOINTS_WRITE, scope=_ENDPOINT),
) -> ManagedOnlineDeployment:
    check_name("deployment", body.name, deployment)
    check_name("endpoint", body.endpoint_name, name)
    record, created = get_context(request).endpoints.put_deployment(body, principal)
    set_created(response, created)
    return record.deployment


@router.get("/{name}/deployments", response_model=list[ManagedOnlineDeployment], summary="List deployments")
def list_deployments(
    name: str, request: Request, _: Principal = require(actions.ENDPOINTS_READ, scope=_ENDPOINT)
) -> list[ManagedOnlineDeployment]:
    return get_context(request).endpoints.list_deployments(name)


@router.get("/{name}/deployments/{deployment}", response_model=ManagedOnlineDeployment, summary="A deployment")
def get_deployment(
    name: str, deployment: str, request: Request, _: Principal = require(actions.ENDPOINTS_READ, scope=_ENDPOINT)
) -> ManagedOnlineDeployment:
    return get_context(request).endpoints.get_deployment(name, deployment)


@router.delete("/{name}/deployments/{deployment}", status_code=204, summary="Delete a deployment with no traffic")
def delete_deployment(
    name: str, deployment: str, request: Request, _: Principal = require(actions.ENDPOINTS_DELETE, scope=_ENDPOINT)
) -> None:
    get_context(request).endpoints.delete_deployment(name, deployment)


@router.get("/{name}/deployments/{deployment}/logs", response_model=DeploymentLogs, summary="A deployment's logs")
def deployment_logs(
    name: str,
    deployment: str,
    request: Request,
    lines: int = Query(100, ge=1, le=10_000),
    container_type: str | None = Query(
        None, description="`inference-server` (default), `storage-initializer` or `requests`."
    ),
    _: Principal = require(actions.ENDPOINTS_READ, scope=_ENDPOINT),
) -> DeploymentLogs:
    return DeploymentLogs(text=get_context(request).endpoints.logs(name, deployment, lines, container_type))


@router.post(
    "/{name}/rollouts",
    response_model=Rollout,
    status_code=202,
    summary="Deploy a candidate model if it scores better, shifting traffic in steps (poll its status)",
)
def start_rollout(
    name: str,
    body: DeployIfBetter,
    request: Request,
    principal: Principal = require(actions.ENDPOINTS_WRITE, scope=_ENDPOINT),
) -> Rollout:
    """The candidate is registered as a model version if it wins, so the caller must be able to write models."""
    check_name("endpoint", body.endpoint_name, name)
    context = get_context(request)
    context.authorizer.check(principal, actions.MODELS_WRITE, context.scope_of())
    return context.rollouts.start(body, principal)


@router.get("/{name}/rollouts", response_model=list[Rollout], summary="The endpoint's rollouts, latest first")
def list_rollouts(
    name: str, request: Request, _: Principal = require(actions.ENDPOINTS_READ, scope=_ENDPOINT)
) -> list[Rollout]:
    context = get_context(request)
    context.stores.endpoints.get(name)
    return context.rollouts.list(name)


@router.get("/{name}/rollouts/{rollout}", response_model=Rollout, summary="A rollout: its decision and figures")
def get_rollout(
    name: str, rollout: str, request: Request, _: Principal = require(actions.ENDPOINTS_READ, scope=_ENDPOINT)
) -> Rollout:
    found = get_context(request).rollouts.get(rollout)
    if found.endpoint_name.lower() != name.lower():
        raise NotFoundError(f"endpoint {name} has no rollout {rollout!r}")
    return found
