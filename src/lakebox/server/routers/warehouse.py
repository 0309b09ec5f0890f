"""``/api/v1/warehouse``: the SQL warehouse. Queries return Arrow IPC streams; loads take them.

Callers are identities with bearer tokens or SQL logins with HTTP Basic. Reading needs the data
action ``warehouse/tables/read``, changing anything ``warehouse/tables/write``; a caller with only
the first runs its SQL read-only (one ``SELECT``).
"""

from __future__ import annotations

import anyio
import pyarrow as pa
from fastapi import APIRouter, Query, Request, Response

from lakebox.entities import IdentityKind, Principal
from lakebox.entities.warehouse import (
    ARROW_STREAM,
    CopyRequest,
    LoadMode,
    LoadResult,
    PasswordChange,
    SqlLoginCreate,
    SqlQuery,
    WarehouseSettings,
    WarehouseTable,
)
from lakebox.errors import BadRequestError
from lakebox.lake.arrow import from_ipc, to_ipc
from lakebox.lake.datastores import lake_resolver
from lakebox.lake.warehouse import files_to_copy, parse_table_name
from lakebox.lake.warehouse_engine import settings_of
from lakebox.security import actions
from lakebox.server.auth import require
from lakebox.server.context import ServerContext, get_context

router = APIRouter(prefix="/warehouse", tags=["warehouse"])
SCOPE = "warehouse"


def _arrow_response(table: pa.Table) -> Response:
    return Response(content=to_ipc(table), media_type=ARROW_STREAM)


def _may_write(context: ServerContext, principal: Principal) -> bool:
    return context.authorizer.is_allowed(principal, actions.WAREHOUSE_WRITE, context.scope_of(SCOPE), data=True)


@router.post(
    "/query",
    summary="Run SQL; the result is an Arrow IPC stream",
    response_class=Response,
    responses={200: {"content": {ARROW_STREAM: {}}}},
)
async def run_query(
    body: SqlQuery, request: Request, principal: Principal = require(actions.WAREHOUSE_READ, scope=SCOPE, data=True)
) -> Response:
    context = get_context(request)
    read_only = not _may_write(context, principal)
    result = await anyio.to_thread.run_sync(lambda: context.warehouse.query(body.query, read_only=read_only))
    return _arrow_response(result)


@router.get("/tables", response_model=list[WarehouseTable], summary="List tables")
def list_tables(
    request: Request, _: Principal = require(actions.WAREHOUSE_READ, scope=SCOPE, data=True)
) -> list[WarehouseTable]:
    return [WarehouseTable.model_validate(t) for t in get_context(request).warehouse.tables()]


@router.get(
    "/tables/{name}",
    summary="A table's rows as an Arrow IPC stream",
    response_class=Response,
    responses={200: {"content": {ARROW_STREAM: {}}}},
)
async def read_table(
    name: str, request: Request, _: Principal = require(actions.WAREHOUSE_READ, scope=SCOPE, data=True)
) -> Response:
    context = get_context(request)
    return _arrow_response(await anyio.to_thread.run_sync(context.warehouse.read_table, name))


@router.put("/tables/{name}", response_model=LoadResult, summary="Load an Arrow IPC stream into a table")
async def load_table(
    name: str,
    request: Request,
    mode: LoadMode = Query("append", description="append (creating the table if needed), overwrite or create"),
    _: Principal = require(actions.WAREHOUSE_WRITE, scope=SCOPE, data=True),
) -> LoadResult:
    if request.headers.get("content-type", "").split(";")[0] != ARROW_STREAM:
        raise BadRequestError(f"send the rows as an Arrow IPC stream with Content-Type {ARROW_STREAM}")
    schema, table_name = parse_table_name(name)
    try:
        data = from_ipc(await request.body())
    except pa.ArrowInvalid as exc:
        raise BadRequestError(f"the body is not a valid Arrow IPC stream: {exc}") from exc
    context = get_context(request)
    rows, loaded = await anyio.to_thread.run_sync(lambda: context.warehouse.load(name, data, mode))
    return LoadResult(table=f"{schema}.{table_name}", rows=rows, loaded=loaded)


@router.post("/tables/{name}/copy", response_model=LoadResult, summary="Copy lake files into a table (COPY INTO)")
async def copy_into(
    name: str,
    body: CopyRequest,
    request: Request,
    principal: Principal = require(actions.WAREHOUSE_WRITE, scope=SCOPE, data=True),
) -> LoadResult:
    context = get_context(request)
    lake = lake_resolver(context.stores, context.layout)
    location = lake.resolve(body.source)
    context.authorizer.check(
        principal, actions.BLOBS_READ, context.scope_of(f"datastores/{location.datastore}"), data=True
    )
    files, file_format = files_to_copy(location.local_path, body.format, lake.root_of(location.datastore))
    rows, loaded = await anyio.to_thread.run_sync(
        lambda: context.warehouse.copy_files(name, files, file_format, body.mode)
    )
    schema, table_name = parse_table_name(name)
    return LoadResult(table=f"{schema}.{table_name}", rows=rows, loaded=loaded)


@router.get("/settings", response_model=WarehouseSettings, summary="Which engine the warehouse is")
def get_settings(request: Request, _: Principal = require(actions.WORKSPACE_READ)) -> WarehouseSettings:
    return settings_of(get_context(request).stores)


@router.put("/settings", response_model=WarehouseSettings, summary="Use DuckDB, or a postgresql connection's server")
def put_settings(
    body: WarehouseSettings, request: Request, _: Principal = require(actions.WORKSPACE_WRITE)
) -> WarehouseSettings:
    context = get_context(request)
    previous = settings_of(context.stores)
    context.stores.warehouse_settings.put(body)
    context.close()
    try:
        context.warehouse.tables()  # connect now: a connection that does not work is refused, not kept
    except BaseException:
        context.stores.warehouse_settings.put(previous)
        context.close()
        raise
    return body


@router.post("/logins", status_code=201, summary="Create a SQL login holding a warehouse role")
def create_login(
    body: SqlLoginCreate, request: Request, principal: Principal = require(actions.IDENTITIES_WRITE)
) -> dict[str, str]:
    context = get_context(request)
    context.authorizer.check(principal, actions.ROLE_ASSIGNMENTS_WRITE, context.scope_of())
    identity = context.stores.identities.create(body.name, IdentityKind.SQL_LOGIN)
    try:
        context.stores.identities.set_password(identity.id, body.password)
        context.stores.authorization.assign(identity.id, body.role, context.scope_of(SCOPE))
    except BaseException:
        context.stores.identities.delete(identity.id)  # nothing half-made stays behind
        raise
    return {"name": identity.name, "role": body.role, "scope": context.scope_of(SCOPE)}


@router.put("/logins/{name}/password", status_code=204, summary="Change a SQL login's password")
def change_password(
    name: str, body: PasswordChange, request: Request, _: Principal = require(actions.IDENTITIES_WRITE)
) -> Response:
    stores = get_context(request).stores
    stores.identities.set_password(stores.identities.get_by_name(name).id, body.password)
    return Response(status_code=204)
