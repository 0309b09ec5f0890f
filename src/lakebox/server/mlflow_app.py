"""The workspace's MLflow tracking server and UI, mounted at ``/mlflow`` on the control plane.

MLflow's server reads its stores and route prefix from environment variables when
``mlflow.server`` is first imported (routes are registered then), so :func:`mlflow_asgi_app` sets
them and must run before anything imports that package.
The server process is dedicated to one workspace, so setting them process-wide is correct.
"""

from __future__ import annotations

import os
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from lakebox.workspace.layout import WorkspaceLayout
from lakebox.workspace.mlflow_store import ARTIFACT_ROOT

MLFLOW_PREFIX = "/mlflow"


def mlflow_asgi_app(layout: WorkspaceLayout, allowed_hosts: list[str] | None = None) -> Any:
    """MLflow's ASGI app over the workspace's tracking store, artifacts proxied through the server."""
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

    return _KeepPrefix(create_fastapi_app())


class _KeepPrefix:
    """Undo the mount's ``root_path``: MLflow's routes already include the ``/mlflow`` prefix."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app({**scope, "root_path": scope.get("app_root_path", "")}, receive, send)
