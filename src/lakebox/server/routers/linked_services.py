"""``/api/v1/linkedServices``: Synapse/ADF linked services, checked against what they name here."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from lakebox.entities import Principal
from lakebox.entities.linked_service import LinkedService, LinkedServiceTarget
from lakebox.lake.linked_services import LinkedServices
from lakebox.security import actions
from lakebox.server.auth import require
from lakebox.server.context import ServerContext, get_context
from lakebox.server.routers._put import check_name, set_created

router = APIRouter(prefix="/linkedServices", tags=["linked services"])
SCOPE = "linkedServices/{name}"


def _services(context: ServerContext) -> LinkedServices:
    return LinkedServices(context.stores, context.workspace.name)


@router.put("/{name}", response_model=LinkedService, summary="Create or update a linked service from its JSON")
def put_linked_service(
    name: str,
    service: LinkedService,
    request: Request,
    response: Response,
    principal: Principal = require(actions.LINKED_SERVICES_WRITE, scope=SCOPE),
) -> LinkedService:
    check_name("linked service", service.name, name)
    stored, created = _services(get_context(request)).store(service, principal)
    set_created(response, created)
    return stored


@router.get("", response_model=list[LinkedService], summary="List linked services")
def list_linked_services(request: Request, _: Principal = require(actions.LINKED_SERVICES_READ)) -> list[LinkedService]:
    return get_context(request).stores.linked_services.list()


@router.get("/{name}", response_model=LinkedService, summary="A linked service's JSON (secrets by reference)")
def get_linked_service(
    name: str, request: Request, _: Principal = require(actions.LINKED_SERVICES_READ, scope=SCOPE)
) -> LinkedService:
    return get_context(request).stores.linked_services.get(name)


@router.get("/{name}/target", response_model=LinkedServiceTarget, summary="What a linked service resolves to")
def get_target(
    name: str, request: Request, _: Principal = require(actions.LINKED_SERVICES_READ, scope=SCOPE)
) -> LinkedServiceTarget:
    context = get_context(request)
    return _services(context).target(context.stores.linked_services.get(name))


@router.delete("/{name}", status_code=204, summary="Delete a linked service")
def delete_linked_service(
    name: str, request: Request, _: Principal = require(actions.LINKED_SERVICES_DELETE, scope=SCOPE)
) -> Response:
    get_context(request).stores.linked_services.delete(name)
    return Response(status_code=204)
