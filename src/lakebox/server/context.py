"""What the server's routes and middleware share: the workspace, its stores, and in-memory state."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.requests import Request

from lakebox.entities import Workspace
from lakebox.errors import UnavailableError
from lakebox.lake.warehouse_engine import WarehouseEngine, open_engine
from lakebox.security.authorizer import Authorizer

if TYPE_CHECKING:
    from lakebox.batch.endpoints import BatchEndpoints
    from lakebox.jobs.runner import Endpoints, JobRunner
    from lakebox.mlops.rollout import Rollouts
    from lakebox.mlops.scheduler import Scheduler
    from lakebox.models.registry import ModelRegistry
    from lakebox.pipelines.engine import PipelineEngine
    from lakebox.serving.controller import EndpointController
from lakebox.store.stores import Stores
from lakebox.workspace.layout import WorkspaceLayout

BROWSER_CODE_TTL_SECONDS = 120


@dataclass
class BrowserCodes:
    """One-time codes that turn into a browser session cookie at ``/login`` (never stored on disk)."""

    ttl_seconds: float = BROWSER_CODE_TTL_SECONDS
    _codes: dict[str, tuple[str, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self, identity_id: str) -> str:
        code = secrets.token_urlsafe(24)
        with self._lock:
            now = time.monotonic()
            self._codes = {k: v for k, v in self._codes.items() if v[1] > now}
            self._codes[_digest(code)] = (identity_id, now + self.ttl_seconds)
        return code

    def redeem(self, code: str) -> str | None:
        """The identity the code was issued to, once; ``None`` if unknown, used or expired."""
        with self._lock:
            found = self._codes.pop(_digest(code), None)
        if found is None or found[1] <= time.monotonic():
            return None
        return found[0]


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


@dataclass
class ServerContext:
    layout: WorkspaceLayout
    stores: Stores
    workspace: Workspace
    browser_codes: BrowserCodes = field(default_factory=BrowserCodes)
    server: Endpoints | None = None  # how processes it starts reach this server, once it listens
    job_runner: JobRunner | None = None
    _warehouse: WarehouseEngine | None = None
    _warehouse_lock: threading.Lock = field(default_factory=threading.Lock)
    _registry: ModelRegistry | None = None
    _lazy_lock: threading.Lock = field(default_factory=threading.Lock)
    _endpoints: EndpointController | None = None
    _batch_endpoints: BatchEndpoints | None = None
    _pipelines: PipelineEngine | None = None
    _scheduler: Scheduler | None = None
    _rollouts: Rollouts | None = None

    @property
    def warehouse(self) -> WarehouseEngine:
        """The SQL warehouse, opened on first use (the server is the only process that opens it)."""
        with self._warehouse_lock:
            if self._warehouse is None:
                self._warehouse = open_engine(self.stores, self.layout.warehouse_file)
            return self._warehouse

    def close(self) -> None:
        """Close the warehouse; the next use opens the engine the settings name then."""
        with self._warehouse_lock:
            if self._warehouse is not None:
                self._warehouse.close()
                self._warehouse = None

    @property
    def registry(self) -> ModelRegistry:
        """The model registry (MLflow's, over the workspace's tracking database)."""
        with self._lazy_lock:
            if self._registry is None:
                from lakebox.models.registry import ModelRegistry

                self._registry = ModelRegistry(self.layout, self.stores)
            return self._registry

    @property
    def endpoints(self) -> EndpointController:
        """Online endpoints and deployments (the gateway starts when the first endpoint is made)."""
        registry = self.registry
        with self._lazy_lock:
            if self._endpoints is None:
                from lakebox.serving.controller import EndpointController

                if self.server is None:
                    raise UnavailableError("online endpoints need the server to be listening")
                self._endpoints = EndpointController(self.layout, self.stores, registry, self.workspace.id, self.server)
            return self._endpoints

    @property
    def batch_endpoints(self) -> BatchEndpoints:
        """Batch endpoints and deployments; each invocation is a job of the job runner."""
        registry = self.registry
        with self._lazy_lock:
            if self._batch_endpoints is None:
                from lakebox.batch.endpoints import BatchEndpoints

                self._batch_endpoints = BatchEndpoints(
                    self.layout,
                    self.stores,
                    registry,
                    lambda: self.runner,
                    lambda table: self.warehouse.read_table(table),
                )
            return self._batch_endpoints

    @property
    def pipelines(self) -> PipelineEngine:
        """The pipeline engine (started, and unfinished runs resumed, with the server)."""
        with self._lazy_lock:
            if self._pipelines is None:
                from lakebox.pipelines.engine import PipelineEngine
                from lakebox.pipelines.services import Services

                services = Services(
                    self.layout,
                    self.stores,
                    self.workspace.name,
                    warehouse=lambda: self.warehouse,
                    batch_endpoints=lambda: self.batch_endpoints,
                    runner=lambda: self.runner,
                )
                self._pipelines = PipelineEngine(services)
            return self._pipelines

    @property
    def rollouts(self) -> Rollouts:
        """Deploy-if-better rollouts on online endpoints."""
        endpoints, registry = self.endpoints, self.registry
        with self._lazy_lock:
            if self._rollouts is None:
                from lakebox.lake.datastores import lake_resolver
                from lakebox.mlops.rollout import Rollouts
                from lakebox.serving.process import GatewayClient

                self._rollouts = Rollouts(
                    self.stores,
                    registry,
                    endpoints,
                    GatewayClient(self.layout),
                    lambda: lake_resolver(self.stores, self.layout),
                )
            return self._rollouts

    @property
    def scheduler(self) -> Scheduler:
        """The scheduler of job schedules and pipeline triggers (started with the server)."""
        with self._lazy_lock:
            if self._scheduler is None:
                from lakebox.lake.datastores import lake_resolver
                from lakebox.mlops.scheduler import Scheduler

                self._scheduler = Scheduler(
                    self.stores,
                    jobs=lambda: self.runner,
                    pipelines=lambda: self.pipelines,
                    lake=lambda: lake_resolver(self.stores, self.layout),
                )
            return self._scheduler

    @property
    def runner(self) -> JobRunner:
        if self.job_runner is None:
            raise UnavailableError("the job runner is not running in this server")
        return self.job_runner

    @property
    def authorizer(self) -> Authorizer:
        return Authorizer(self.stores.authorization)

    def scope_of(self, child: str | None = None) -> str:
        """The resource scope of the workspace, or of ``child`` within it (``endpoints/E``)."""
        root = self.workspace.resource_id
        return root if not child else f"{root}/{child.strip('/')}"


def get_context(request: Request) -> ServerContext:
    context: ServerContext = request.app.state.context
    return context
