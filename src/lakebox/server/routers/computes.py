"""``/api/v1/computes``: compute clusters (local slot pools now, Ray clusters later)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from lakebox.compute.sizes import vm_size
from lakebox.entities import ComputeCluster, Principal
from lakebox.security import actions
from lakebox.server.auth import require
from lakebox.server.context import get_context
from lakebox.server.routers._put import check_name, set_created

router = APIRouter(prefix="/computes", tags=["compute"])


@router.put("/{name}", response_model=ComputeCluster, summary="Create or update a compute cluster")
def put_compute(
    name: str,
    cluster: ComputeCluster,
    request: Request,
    response: Response,
    _: Principal = require(actions.COMPUTES_WRITE, scope="computes/{name}"),
) -> ComputeCluster:
    check_name("compute", cluster.name, name)
    canonical = cluster.model_copy(update={"size": vm_size(cluster.size).name})
    stored, created = get_context(request).stores.computes.put(canonical)
    set_created(response, created)
    return stored


@router.get("", response_model=list[ComputeCluster], summary="List compute clusters")
def list_computes(request: Request, _: Principal = require(actions.COMPUTES_READ)) -> list[ComputeCluster]:
    return get_context(request).stores.computes.list()


@router.get("/{name}", response_model=ComputeCluster, summary="Show a compute cluster")
def get_compute(
    name: str, request: Request, _: Principal = require(actions.COMPUTES_READ, scope="computes/{name}")
) -> ComputeCluster:
    return get_context(request).stores.computes.get(name)


@router.delete("/{name}", status_code=204, summary="Delete a compute cluster")
def delete_compute(
    name: str, request: Request, _: Principal = require(actions.COMPUTES_DELETE, scope="computes/{name}")
) -> Response:
    get_context(request).stores.computes.delete(name)
    return Response(status_code=204)
