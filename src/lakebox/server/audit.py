"""Audit of every state-changing call and every denied call, written before the response is sent.

Entries name the principal, the action the route declared (or the HTTP method and MLflow
operation), the target resource path and the outcome. Request bodies and query strings never
enter the log, so neither do secret values, tokens or login codes.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lakebox.entities import AuditOutcome, Principal
from lakebox.server.context import ServerContext
from lakebox.server.mlflow_app import MLFLOW_PREFIX

_logger = logging.getLogger(__name__)
API_PREFIX = "/api/v1"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# MLflow writes that change what exists (experiments, runs, registered models), not the stream of
# metrics, params and artifact bytes inside a run.
_MLFLOW_AUDITED_VERBS = frozenset(
    {"create", "delete", "restore", "update", "rename", "set-alias", "delete-alias", "transition-stage"}
)


DENIED_STATUSES = frozenset({401, 403, 429})


def outcome_of(status_code: int) -> AuditOutcome:
    if status_code in DENIED_STATUSES:
        return AuditOutcome.DENIED
    return AuditOutcome.SUCCEEDED if status_code < 400 else AuditOutcome.FAILED


class AuditMiddleware:
    def __init__(self, app: ASGIApp, context: ServerContext) -> None:
        self.app = app
        self.context = context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_after_audit(message: Message) -> None:
            if message["type"] == "http.response.start":
                status = int(message["status"])
                if self._is_audited(scope, status):
                    await anyio.to_thread.run_sync(self._append, scope, status)
            await send(message)

        await self.app(scope, receive, send_after_audit)

    def _is_audited(self, scope: Scope, status: int) -> bool:
        state = scope.get("state", {})
        if status in DENIED_STATUSES or state.get("force_audit"):
            return True
        path: str = scope["path"]
        if scope["method"] in _SAFE_METHODS:
            return False
        if path.startswith(API_PREFIX):
            return True
        return (
            path.startswith(MLFLOW_PREFIX)
            and "mlflow-artifacts" not in path
            and path.rstrip("/").rsplit("/", 1)[-1] in _MLFLOW_AUDITED_VERBS
        )

    def _append(self, scope: Scope, status: int) -> None:
        state: dict[str, Any] = scope.get("state", {})
        principal: Principal | None = state.get("principal")
        try:
            self.context.stores.audit.append(
                principal_id=principal.identity_id if principal else None,
                principal_name=principal.name if principal else "anonymous",
                action=state.get("action") or f"{scope['method']} {scope['path']}",
                target=self._target(scope["path"]),
                outcome=outcome_of(status),
                status_code=status,
                details=self._details(scope, state),
            )
        except Exception:  # the call itself already happened; losing its entry must be loud
            _logger.exception("could not append an audit entry for %s %s", scope["method"], scope["path"])

    @staticmethod
    def _details(scope: Scope, state: dict[str, Any]) -> dict[str, Any]:
        details = {"method": scope["method"], "client": (scope.get("client") or ("", 0))[0]}
        if "operation" in state:
            details["operation"] = state["operation"]
        return details

    def _target(self, path: str) -> str:
        resource = self.context.workspace.resource_id
        if path.startswith(API_PREFIX):
            tail = path[len(API_PREFIX) :].removeprefix("/workspace")
            return resource + tail.rstrip("/")
        return resource + path.rstrip("/")
