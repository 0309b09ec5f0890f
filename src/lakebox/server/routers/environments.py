"""``/api/v1/environments``: registered environments and their versions."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from lakebox.entities import Environment, Principal
from lakebox.environments.spec import from_conda
from lakebox.errors import BadRequestError
from lakebox.security import actions
from lakebox.server.auth import require
from lakebox.server.context import get_context

router = APIRouter(prefix="/environments", tags=["environments"])


@router.post("", response_model=Environment, status_code=201, summary="Register an environment version")
def register_environment(
    environment: Environment, request: Request, _: Principal = require(actions.ENVIRONMENTS_WRITE)
) -> Environment:
    if not environment.name:
        raise BadRequestError("a registered environment needs a name")
    if environment.conda_file is not None:
        from_conda(environment.conda_file)  # refuse what could never build, now rather than at the first job
    return get_context(request).stores.environments.register(environment)


@router.get("", response_model=list[Environment], summary="List environment versions")
def list_environments(
    request: Request, name: str | None = Query(None), _: Principal = require(actions.ENVIRONMENTS_READ)
) -> list[Environment]:
    return get_context(request).stores.environments.list(name)


@router.get("/{name}", response_model=Environment, summary="An environment version (latest by default)")
def get_environment(
    name: str,
    request: Request,
    version: str | None = Query(None),
    _: Principal = require(actions.ENVIRONMENTS_READ, scope="environments/{name}"),
) -> Environment:
    return get_context(request).stores.environments.get(name, version)
