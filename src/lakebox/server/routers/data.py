"""``/api/v1/data``: data assets, versioned names for files, folders and tables on the lake."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Query, Request

from lakebox.entities import Data, Principal
from lakebox.errors import NotFoundError, ValidationError
from lakebox.lake import delta
from lakebox.lake.datastores import lake_resolver
from lakebox.security import actions
from lakebox.server.auth import require
from lakebox.server.context import ServerContext, get_context

router = APIRouter(prefix="/data", tags=["data"])


@router.post("", response_model=Data, status_code=201, summary="Register a data asset version")
def register_data(data: Data, request: Request, _: Principal = require(actions.DATA_WRITE)) -> Data:
    _check_path(get_context(request), data)
    return get_context(request).stores.data.register(data)


def _check_path(context: ServerContext, data: Data) -> None:
    """Refuse a path that does not exist or is not what ``type`` says, now rather than at the first job."""
    path = lake_resolver(context.stores, context.layout).local_path(data.path)
    if not path.is_absolute():
        raise ValidationError(f"data asset {data.name}: give an absolute local path or a lake URI, not {data.path}")
    if not Path(path).exists():
        raise NotFoundError(f"data asset {data.name}: {data.path} does not exist")
    if data.type == "uri_file" and not path.is_file():
        raise ValidationError(f"data asset {data.name} is a uri_file but {data.path} is not a file")
    if data.type in ("uri_folder", "mltable") and not path.is_dir():
        raise ValidationError(f"data asset {data.name} is a {data.type} but {data.path} is not a folder")
    if data.type == "delta_table" and not delta.is_delta_table(path):
        raise ValidationError(f"data asset {data.name} is a delta_table but {data.path} is not a Delta table")


@router.get("", response_model=list[Data], summary="List data asset versions")
def list_data(
    request: Request, name: str | None = Query(None), _: Principal = require(actions.DATA_READ)
) -> list[Data]:
    return get_context(request).stores.data.list(name)


@router.get("/{name}", response_model=Data, summary="A data asset version (latest by default)")
def get_data(
    name: str,
    request: Request,
    version: str | None = Query(None),
    _: Principal = require(actions.DATA_READ, scope="data/{name}"),
) -> Data:
    return get_context(request).stores.data.get(name, version)
