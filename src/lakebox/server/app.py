"""The control-plane ASGI app: API v1, health, OpenAPI, browser login and the MLflow server."""

from __future__ import annotations

import logging
import time
from importlib.metadata import version

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lakebox import settings
from lakebox.security.rate_limit import FailureLimiter
from lakebox.server.audit import API_PREFIX, AuditMiddleware
from lakebox.server.auth import AuthMiddleware
from lakebox.server.context import ServerContext
from lakebox.server.errors import install_error_handlers
from lakebox.server.mlflow_app import MLFLOW_PREFIX, mlflow_asgi_app
from lakebox.server.routers import (
    audit,
    authorization,
    batch_endpoints,
    computes,
    connections,
    data,
    datastores,
    environments,
    identities,
    jobs,
    linked_services,
    managed_identity,
    models,
    online_endpoints,
    pipelines,
    schedules,
    spark_pools,
    vaults,
    warehouse,
    workspace,
)

LAKEBOX_VERSION = version("lakebox")
_access_logger = logging.getLogger("lakebox.access")


class AccessLogMiddleware:
    """Logs method, path, status and duration; never the query string, which may carry a login code."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            _access_logger.info("%s %s %s %.1fms", scope["method"], scope["path"], status, elapsed_ms)


def create_app(context: ServerContext, *, allowed_hosts: list[str] | None = None) -> FastAPI:
    app = FastAPI(
        title="lakebox",
        version=LAKEBOX_VERSION,
        description="Control plane of a lakebox workspace. Every /api/v1 call needs `Authorization: Bearer <token>`.",
    )
    app.state.context = context
    install_error_handlers(app)

    @app.get("/health", tags=["server"], summary="Liveness, and which workspace this server serves")
    def health() -> dict[str, str]:
        return {"status": "ok", "workspace_id": context.workspace.id, "version": LAKEBOX_VERSION}

    routers = (
        workspace,
        audit,
        identities,
        authorization,
        batch_endpoints,
        computes,
        connections,
        data,
        datastores,
        environments,
        jobs,
        linked_services,
        models,
        online_endpoints,
        pipelines,
        schedules,
        spark_pools,
        vaults,
        warehouse,
    )
    for router in (module.router for module in routers):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(identities.login_router)
    app.include_router(managed_identity.router)
    app.mount(MLFLOW_PREFIX, mlflow_asgi_app(context, allowed_hosts))
    limit = settings.LAKEBOX_AUTH_FAILURE_LIMIT.get_or_raise()
    app.add_middleware(AuthMiddleware, context=context, limiter=FailureLimiter(limit=limit, window=60.0))
    app.add_middleware(AuditMiddleware, context=context)
    app.add_middleware(AccessLogMiddleware)
    return app
