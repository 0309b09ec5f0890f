"""``/api/v1/sparkPools``: Spark pools, compute for Spark sessions and Spark jobs."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from lakebox.entities import Principal, SparkPool
from lakebox.security import actions
from lakebox.server.auth import require
from lakebox.server.context import get_context
from lakebox.server.routers._put import check_name, set_created

router = APIRouter(prefix="/sparkPools", tags=["spark pools"])
SCOPE = "sparkPools/{name}"


@router.put("/{name}", response_model=SparkPool, summary="Create or update a Spark pool")
def put_pool(
    name: str,
    pool: SparkPool,
    request: Request,
    response: Response,
    _: Principal = require(actions.COMPUTES_WRITE, scope=SCOPE),
) -> SparkPool:
    check_name("Spark pool", pool.name, name)
    stored, created = get_context(request).stores.spark_pools.put(pool)
    set_created(response, created)
    return stored


@router.get("", response_model=list[SparkPool], summary="List Spark pools")
def list_pools(request: Request, _: Principal = require(actions.COMPUTES_READ)) -> list[SparkPool]:
    return get_context(request).stores.spark_pools.list()


@router.get("/{name}", response_model=SparkPool, summary="Show a Spark pool")
def get_pool(name: str, request: Request, _: Principal = require(actions.COMPUTES_READ, scope=SCOPE)) -> SparkPool:
    return get_context(request).stores.spark_pools.get(name)


@router.delete("/{name}", status_code=204, summary="Delete a Spark pool")
def delete_pool(name: str, request: Request, _: Principal = require(actions.COMPUTES_DELETE, scope=SCOPE)) -> Response:
    get_context(request).stores.spark_pools.delete(name)
    return Response(status_code=204)
