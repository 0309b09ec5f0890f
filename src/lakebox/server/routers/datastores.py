"""``/api/v1/datastores``: the lake's named folders, and the account/container each stands for."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request, Response

from lakebox.entities import Datastore, Principal
from lakebox.errors import BadRequestError
from lakebox.lake.datastores import locate
from lakebox.security import actions
from lakebox.server.auth import require
from lakebox.server.context import get_context
from lakebox.server.routers._put import check_name, set_created

router = APIRouter(prefix="/datastores", tags=["datastores"])
SCOPE = "datastores/{name}"


@router.put("/{name}", response_model=Datastore, summary="Register or update a datastore")
def put_datastore(
    name: str,
    datastore: Datastore,
    request: Request,
    response: Response,
    _: Principal = require(actions.DATASTORES_WRITE, scope=SCOPE),
) -> Datastore:
    check_name("datastore", datastore.name, name, case_sensitive=True)
    context = get_context(request)
    if datastore.path is not None and Path(datastore.path).expanduser().is_file():
        raise BadRequestError(f"datastore path {datastore.path} is a file; give a folder")
    stored, created = context.stores.datastores.put(datastore)
    set_created(response, created)
    located = locate(stored, context.layout)
    assert located.local_path is not None
    Path(located.local_path).mkdir(parents=True, exist_ok=True)  # once, when registered, not on every lookup
    return located


@router.get("", response_model=list[Datastore], summary="List datastores")
def list_datastores(request: Request, _: Principal = require(actions.DATASTORES_READ)) -> list[Datastore]:
    context = get_context(request)
    return [locate(store, context.layout) for store in context.stores.datastores.list()]


@router.get("/{name}", response_model=Datastore, summary="Show a datastore")
def get_datastore(
    name: str, request: Request, _: Principal = require(actions.DATASTORES_READ, scope=SCOPE)
) -> Datastore:
    context = get_context(request)
    return locate(context.stores.datastores.get(name), context.layout)


@router.delete("/{name}", status_code=204, summary="Unregister a datastore (its files stay)")
def delete_datastore(
    name: str, request: Request, _: Principal = require(actions.DATASTORES_DELETE, scope=SCOPE)
) -> Response:
    get_context(request).stores.datastores.delete(name)
    return Response(status_code=204)
