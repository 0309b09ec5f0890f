"""The workspace's MLflow tracking server and UI, mounted at ``/mlflow`` on the control plane.

MLflow's server reads its stores and route prefix from environment variables when
``mlflow.server`` is first imported (routes are registered then), so :func:`mlflow_asgi_app` sets
them and must run before anything imports that package.
The server process is dedicated to one workspace, so setting them process-wide is correct.
"""

from __future__ import annotations

import os
from typing import Any

import anyio
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from lakebox.errors import PermissionDeniedError
from lakebox.security.actions import EXPERIMENTS_READ, EXPERIMENTS_WRITE, MODELS_READ, MODELS_WRITE
from lakebox.server.context import ServerContext
from lakebox.workspace.mlflow_store import ARTIFACT_ROOT

MLFLOW_PREFIX = "/mlflow"


_READ_VERBS = ("get", "search", "list", "graphql")
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def mlflow_operation(path: str) -> str:
    """``/mlflow/api/2.0/mlflow/runs/create`` -> ``runs/create``: the MLflow operation a path calls."""
    return path.rsplit("/mlflow/", 1)[-1].strip("/") if "/mlflow/" in path[1:] else path.strip("/")


def mlflow_action(method: str, path: str) -> str:
    """The lakebox action an MLflow call performs: reading or writing experiments (runs, metrics,
    artifacts) or models (the registry). MLflow searches are POSTs, so the operation decides."""
    models = "registered-models" in path or "model-versions" in path
    verb = mlflow_operation(path).rsplit("/", 1)[-1]
    reading = method in _SAFE_METHODS or verb.startswith(_READ_VERBS)
    if models:
        return MODELS_READ if reading else MODELS_WRITE
    return EXPERIMENTS_READ if reading else EXPERIMENTS_WRITE


def mlflow_asgi_app(context: ServerContext, allowed_hosts: list[str] | None = None) -> Any:
    """MLflow's ASGI app over the workspace's tracking store, artifacts proxied through the server,
    every call checked against the caller's roles."""
    layout = context.layout
    os.environ.update(
        {
            "_MLFLOW_SERVER_FILE_STORE": layout.mlflow_backend_uri(),
            "_MLFLOW_SERVER_REGISTRY_STORE": layout.mlflow_backend_uri(),
            "_MLFLOW_SERVER_ARTIFACT_ROOT": ARTIFACT_ROOT,
            "_MLFLOW_SERVER_ARTIFACT_DESTINATION": str(layout.mlflow_artifacts_dir),
            "_MLFLOW_SERVER_SERVE_ARTIFACTS": "true",
            "_MLFLOW_STATIC_PREFIX": MLFLOW_PREFIX,
        }
    )
    # lakebox runs offline and on private data: MLflow reports no usage unless the user opts in.
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    if allowed_hosts:  # MLflow already allows loopback and private addresses by default
        os.environ["MLFLOW_SERVER_ALLOWED_HOSTS"] = ",".join(allowed_hosts)
    from mlflow.server.fastapi_app import create_fastapi_app

    return _AuthorizedMlflow(create_fastapi_app(), context)


class _AuthorizedMlflow:
    """Checks the caller's roles for the MLflow operation, then hands the request to MLflow with the
    mount's ``root_path`` undone (MLflow's routes already include the ``/mlflow`` prefix)."""

    def __init__(self, app: ASGIApp, context: ServerContext) -> None:
        self.app = app
        self.context = context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            state = scope.setdefault("state", {})
            action = mlflow_action(scope["method"], scope["path"])
            state["action"], state["operation"] = action, "mlflow/" + mlflow_operation(scope["path"])
            check = self.context.authorizer.check
            try:
                await anyio.to_thread.run_sync(check, state["principal"], action, self.context.scope_of())
            except PermissionDeniedError as exc:
                await JSONResponse(exc.to_dict(), status_code=exc.status_code)(scope, receive, send)
                return
        await self.app({**scope, "root_path": scope.get("app_root_path", "")}, receive, send)
