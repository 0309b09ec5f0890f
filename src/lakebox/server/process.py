"""Running the workspace server: in the foreground, or detached and found again through its record.

A running server holds an exclusive lock on ``.lakebox/server.lock`` for its whole life (the OS
drops it when the process dies, even by SIGKILL), and writes ``.lakebox/server.json`` with its pid
and address once its socket is bound. A record is trusted only if its process answers ``/health``
with this workspace's id.
"""

from __future__ import annotations

import logging
import os
import ssl
import sys
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from pydantic import BaseModel

from lakebox import settings
from lakebox.errors import BadRequestError
from lakebox.runtime.files import exclusive_lock, write_atomic
from lakebox.runtime.processes import pid_alive, spawn_detached, terminate, wait_until_serving
from lakebox.runtime.sockets import DEFAULT_HOST, bind_preferred, local_address
from lakebox.server.tls import TlsFiles, check_exposure, client_context, is_loopback, self_signed
from lakebox.workspace.layout import WorkspaceLayout

if TYPE_CHECKING:
    from lakebox.server.context import ServerContext

_PROBE_TIMEOUT = 2.0


class ServerRecord(BaseModel):
    pid: int
    host: str
    port: int
    url: str
    workspace_id: str
    started_at: datetime
    tls_cert: Path | None = None

    def verify(self) -> ssl.SSLContext | bool:
        """What a local client verifies the server's certificate with."""
        return client_context(self.tls_cert) if self.tls_cert else True


@dataclass(frozen=True)
class Listen:
    """Where and how the server listens; non-loopback hosts need TLS or an explicit ``insecure``."""

    host: str = DEFAULT_HOST
    port: int = 0
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_self_signed: bool = False
    insecure: bool = False

    def check(self) -> None:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise BadRequestError("give both --tls-cert and --tls-key")
        check_exposure(self.host, tls=self.tls_cert is not None or self.tls_self_signed, insecure=self.insecure)

    def tls(self, layout: WorkspaceLayout) -> TlsFiles | None:
        if self.tls_cert and self.tls_key:
            return TlsFiles(self.tls_cert.resolve(), self.tls_key.resolve())
        return self_signed(layout, self.host) if self.tls_self_signed else None

    def args(self) -> list[str]:
        args = ["--host", self.host, "--port", str(self.port)]
        if self.tls_cert and self.tls_key:
            args += ["--tls-cert", str(self.tls_cert.resolve()), "--tls-key", str(self.tls_key.resolve())]
        return args + ["--tls-self-signed"] * self.tls_self_signed + ["--insecure"] * self.insecure


class ServerStatus(BaseModel):
    running: bool
    record: ServerRecord | None = None
    log_file: Path


def read_record(layout: WorkspaceLayout) -> ServerRecord | None:
    try:
        return ServerRecord.model_validate_json(layout.server_record_file.read_text())
    except (FileNotFoundError, ValueError):
        return None


def probe(record: ServerRecord, timeout: float = _PROBE_TIMEOUT) -> bool:
    """True when the recorded process is alive and its ``/health`` names the recorded workspace."""
    if not pid_alive(record.pid):
        return False
    try:
        response = httpx.get(f"{record.url}/health", timeout=timeout, verify=record.verify())
        return response.status_code == 200 and response.json().get("workspace_id") == record.workspace_id
    except (httpx.HTTPError, ValueError):
        return False


def server_status(layout: WorkspaceLayout) -> ServerStatus:
    record = read_record(layout)
    running = record is not None and probe(record)
    return ServerStatus(running=running, record=record if running else None, log_file=layout.server_log_file)


def start_server(layout: WorkspaceLayout, listen: Listen | None = None) -> tuple[ServerRecord, bool]:
    """Start the server detached unless one is running. Returns its record and whether it was started."""
    listen = listen or Listen()
    listen.check()
    timeout = settings.LAKEBOX_SERVER_START_TIMEOUT.get_or_raise()
    with exclusive_lock(layout.server_start_lock_file):
        status = server_status(layout)
        if status.running:
            assert status.record is not None
            return status.record, False
        process = spawn_detached(
            [sys.executable, "-m", "lakebox.server", "--path", str(layout.root), *listen.args()], layout.server_log_file
        )
        record = wait_until_serving(
            "server", process, lambda: _started_record(layout, process.pid), timeout, layout.server_log_file
        )
        return record, True


def _started_record(layout: WorkspaceLayout, pid: int) -> ServerRecord | None:
    record = read_record(layout)
    return record if record is not None and record.pid == pid and probe(record) else None


def stop_server(layout: WorkspaceLayout, timeout: float = 15.0) -> ServerRecord | None:
    """Stop the running server and the inference gateway (SIGTERM, then SIGKILL after ``timeout``);
    the server's record, or None if none ran."""
    from lakebox.serving.process import stop_gateway

    stop_gateway(layout, timeout)
    status = server_status(layout)
    if not status.running or status.record is None:
        layout.server_record_file.unlink(missing_ok=True)
        return None
    terminate(status.record.pid, timeout)
    layout.server_record_file.unlink(missing_ok=True)
    return status.record


def run_server(layout: WorkspaceLayout, listen: Listen | None = None) -> None:
    """Serve the workspace in this process until SIGTERM or Ctrl-C."""
    listen = listen or Listen()
    listen.check()
    import uvicorn

    from lakebox.jobs.runner import Endpoints, JobRunner
    from lakebox.server.app import create_app
    from lakebox.server.context import ServerContext
    from lakebox.workspace.defaults import ensure_defaults
    from lakebox.workspace.manager import open_stores
    from lakebox.workspace.mlflow_store import prepare_mlflow_store

    with exclusive_lock(layout.server_lock_file, wait=False, held="a server is already running for this workspace"):
        prepare_mlflow_store(layout)
        stores = open_stores(layout)
        workspace = stores.workspaces.get()
        ensure_defaults(stores, workspace)
        context = ServerContext(layout=layout, stores=stores, workspace=workspace)
        host = listen.host
        app = create_app(context, allowed_hosts=None if is_loopback(host) else [host, f"{host}:*"])
        tls = listen.tls(layout)
        sock = bind_preferred(host, listen.port, layout.private_dir / "server.port")
        bound_port = sock.getsockname()[1]
        record = ServerRecord(
            pid=os.getpid(),
            host=host,
            port=bound_port,
            url=f"{'https' if tls else 'http'}://{local_address(host)}:{bound_port}",
            workspace_id=context.workspace.id,
            started_at=datetime.now(UTC),
            tls_cert=tls.cert if tls else None,
        )
        config = uvicorn.Config(
            app,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=10,
            ssl_certfile=str(tls.cert) if tls else None,
            ssl_keyfile=str(tls.key) if tls else None,
        )
        context.server = Endpoints(record.url, record.tls_cert)
        context.job_runner = JobRunner(layout, stores, context.server)
        context.job_runner.start()
        context.pipelines.start()
        context.scheduler.start()
        threading.Thread(target=_resume_endpoints, args=(context,), name="endpoints-resume", daemon=True).start()
        write_atomic(layout.server_record_file, record.model_dump_json(indent=2) + "\n")
        logging.getLogger(__name__).info("serving workspace %s at %s", context.workspace.name, record.url)
        try:
            uvicorn.Server(config).run(sockets=[sock])
        finally:
            context.scheduler.stop()
            context.job_runner.stop()
            if (current := read_record(layout)) is not None and current.pid == os.getpid():
                layout.server_record_file.unlink(missing_ok=True)
            context.close()
            stores.close()


def _resume_endpoints(context: ServerContext) -> None:
    try:
        context.endpoints.resume()
        context.rollouts.resume()
    except Exception:
        logging.getLogger(__name__).exception("could not resume online endpoints")
