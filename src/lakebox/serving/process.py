"""Running the inference gateway: detached from the control plane, found again through its record.

Like the server, the gateway holds ``.lakebox/gateway.lock`` for its whole life and writes
``.lakebox/gateway.json`` once it listens. It binds 127.0.0.1, on the port it had before when it
can, so scoring URIs stay the same across restarts. The control plane talks to it with the admin
key in ``.lakebox/gateway-admin.key`` (mode 0600).
"""

from __future__ import annotations

import logging
import os
import secrets
import sys
from datetime import datetime
from typing import Any

import httpx
from pydantic import BaseModel

from lakebox import settings
from lakebox.entities.serving import DeploymentStatus, ServingState, WindowStats
from lakebox.errors import UnavailableError
from lakebox.runtime.files import exclusive_lock, write_atomic, write_private
from lakebox.runtime.processes import pid_alive, spawn_detached, terminate, wait_until_serving
from lakebox.runtime.sockets import DEFAULT_HOST, bind_preferred
from lakebox.security.rate_limit import FailureLimiter
from lakebox.serving.gateway import ADMIN_HEADER, Gateway, create_app
from lakebox.store.types import utcnow
from lakebox.workspace.layout import WorkspaceLayout

_logger = logging.getLogger(__name__)
_START_TIMEOUT_SECONDS = 30.0


class GatewayRecord(BaseModel):
    pid: int
    port: int
    url: str
    workspace_id: str
    started_at: datetime


def read_gateway_record(layout: WorkspaceLayout) -> GatewayRecord | None:
    try:
        return GatewayRecord.model_validate_json(layout.gateway_record_file.read_text())
    except (FileNotFoundError, ValueError):
        return None


def _answers(record: GatewayRecord) -> bool:
    if not pid_alive(record.pid):
        return False
    try:
        response = httpx.get(f"{record.url}/health", timeout=2.0)
        body = response.json()
        return response.status_code == 200 and body.get("workspace_id") == record.workspace_id
    except (httpx.HTTPError, ValueError):
        return False


def running_gateway(layout: WorkspaceLayout) -> GatewayRecord | None:
    record = read_gateway_record(layout)
    return record if record is not None and _answers(record) else None


def admin_key(layout: WorkspaceLayout) -> str:
    """The gateway's admin key, made (mode 0600) on first use."""
    try:
        return layout.gateway_admin_key_file.read_text().strip()
    except FileNotFoundError:
        write_private(layout.gateway_admin_key_file, secrets.token_urlsafe(32) + "\n")
        return layout.gateway_admin_key_file.read_text().strip()


def ensure_gateway(layout: WorkspaceLayout) -> GatewayRecord:
    """The running gateway, started (detached) when none is."""
    admin_key(layout)
    with exclusive_lock(layout.private_dir / "gateway-start.lock"):
        if (record := running_gateway(layout)) is not None:
            return record
        process = spawn_detached(
            [sys.executable, "-m", "lakebox.serving", "--path", str(layout.root)], layout.gateway_log_file
        )

        def started() -> GatewayRecord | None:
            record = read_gateway_record(layout)
            return record if record is not None and record.pid == process.pid and _answers(record) else None

        return wait_until_serving("gateway", process, started, _START_TIMEOUT_SECONDS, layout.gateway_log_file)


def stop_gateway(layout: WorkspaceLayout, timeout: float = 15.0) -> None:
    """Stop the gateway and its workers (SIGTERM, then SIGKILL after ``timeout``)."""
    record = running_gateway(layout)
    if record is None:
        return
    terminate(record.pid, timeout, group=True)
    layout.gateway_record_file.unlink(missing_ok=True)


def run_gateway(layout: WorkspaceLayout) -> None:
    """Serve online endpoints in this process until SIGTERM."""
    import uvicorn

    with exclusive_lock(layout.gateway_lock_file, wait=False, held="a gateway is already running for this workspace"):
        workspace_id = layout.read_config().workspace_id or str(layout.root)
        gateway = Gateway(layout.gateway_state_file, admin_key(layout), FailureLimiter(limit=_failure_limit()))
        sock = bind_preferred(
            DEFAULT_HOST, settings.LAKEBOX_GATEWAY_PORT.get() or 0, layout.private_dir / "gateway.port"
        )
        port = sock.getsockname()[1]
        record = GatewayRecord(
            pid=os.getpid(), port=port, url=f"http://{DEFAULT_HOST}:{port}", workspace_id=workspace_id,
            started_at=utcnow(),
        )  # fmt: skip
        config = uvicorn.Config(
            create_app(gateway, workspace_id), loop="uvloop", http="httptools", log_config=None, access_log=False,
            timeout_graceful_shutdown=10, backlog=4096,
        )  # fmt: skip
        server = uvicorn.Server(config)

        async def serve() -> None:
            await gateway.load()
            write_atomic(layout.gateway_record_file, record.model_dump_json(indent=2) + "\n")
            _logger.info("gateway of workspace %s at %s", workspace_id, record.url)
            await server.serve(sockets=[sock])

        try:
            import uvloop

            uvloop.run(serve())
        finally:
            if (current := read_gateway_record(layout)) is not None and current.pid == os.getpid():
                layout.gateway_record_file.unlink(missing_ok=True)


def _failure_limit() -> int:
    return settings.LAKEBOX_AUTH_FAILURE_LIMIT.get_or_raise()


class GatewayClient:
    """The control plane's handle on the gateway: push the state, read deployment statuses."""

    def __init__(self, layout: WorkspaceLayout) -> None:
        self._layout = layout

    def record(self) -> GatewayRecord:
        return ensure_gateway(self._layout)

    def running(self) -> bool:
        return running_gateway(self._layout) is not None

    def push(self, state: ServingState) -> None:
        self._request("PUT", "/_lakebox/state", content=state.model_dump_json())

    def take_denials(self) -> list[dict[str, Any]]:
        """Refused scoring requests since the last call, by endpoint, client and status (with a count)."""
        denials: list[dict[str, Any]] = self._request("POST", "/_lakebox/denials").json()
        return denials

    def status(self) -> dict[str, dict[str, DeploymentStatus]]:
        report = self._request("GET", "/_lakebox/status").json()
        return {e: {d: DeploymentStatus.model_validate(s) for d, s in deps.items()} for e, deps in report.items()}

    def window(self, endpoint: str, deployment: str, seconds: float) -> WindowStats:
        """How the deployment answered over the last ``seconds``."""
        answer = self._request("GET", f"/_lakebox/window/{endpoint}/{deployment}?seconds={seconds}")
        return WindowStats.model_validate(answer.json())

    def _request(self, method: str, path: str, content: str | None = None) -> httpx.Response:
        record = self.record()
        headers = {ADMIN_HEADER: admin_key(self._layout)}
        try:
            response = httpx.request(method, record.url + path, content=content, headers=headers, timeout=30)
        except httpx.HTTPError as exc:
            raise UnavailableError(f"cannot reach the inference gateway at {record.url}: {exc}") from exc
        if response.status_code != 200:
            raise UnavailableError(f"the inference gateway answered {response.status_code}: {response.text[:500]}")
        return response
