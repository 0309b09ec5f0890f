"""``/api/v1/models``: the model registry (versions, archive, download)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response

from lakebox.entities import Principal
from lakebox.entities.model import Model, ModelCreate
from lakebox.jobs import code
from lakebox.security import actions
from lakebox.server.auth import require
from lakebox.server.context import get_context

router = APIRouter(prefix="/models", tags=["models"])


@router.post("", response_model=Model, status_code=201, summary="Register a model version")
def register_model(body: ModelCreate, request: Request, _: Principal = require(actions.MODELS_WRITE)) -> Model:
    context = get_context(request)
    upload = code.snapshot(context.layout.code_dir, body.upload_id) if body.upload_id else None
    return context.registry.register(body, upload)


@router.get("", response_model=list[Model], summary="Versions of a model, or the newest version of every model")
def list_models(
    request: Request,
    name: str | None = Query(None),
    archived: bool = Query(True, description="Include archived versions."),
    _: Principal = require(actions.MODELS_READ),
) -> list[Model]:
    return get_context(request).registry.list(name, include_archived=archived)


@router.get("/{name}", response_model=Model, summary="A model version (the newest unarchived by default)")
def get_model(
    name: str,
    request: Request,
    version: str | None = Query(None),
    label: str | None = Query(None, description="`latest`, or an MLflow alias."),
    _: Principal = require(actions.MODELS_READ, scope="models/{name}"),
) -> Model:
    return get_context(request).registry.get(name, version, label)


@router.post("/{name}/archive", response_model=Model, summary="Archive a version, or every version")
def archive_model(
    name: str,
    request: Request,
    version: str | None = Query(None),
    _: Principal = require(actions.MODELS_WRITE, scope="models/{name}"),
) -> Model:
    return get_context(request).registry.set_archived(name, version, archived=True)


@router.post("/{name}/restore", response_model=Model, summary="Restore an archived version, or every version")
def restore_model(
    name: str,
    request: Request,
    version: str | None = Query(None),
    _: Principal = require(actions.MODELS_WRITE, scope="models/{name}"),
) -> Model:
    return get_context(request).registry.set_archived(name, version, archived=False)


@router.get(
    "/{name}/versions/{version}/files",
    summary="A version's files as tar.gz",
    response_class=Response,
    responses={200: {"content": {"application/gzip": {}}}},
)
def download_model(
    name: str, version: str, request: Request, _: Principal = require(actions.MODELS_READ, scope="models/{name}")
) -> Response:
    registry = get_context(request).registry
    folder = registry.local_path(registry.get(name, version))
    return Response(code.pack(folder.parent, honour_ignore_files=False), media_type="application/gzip")
