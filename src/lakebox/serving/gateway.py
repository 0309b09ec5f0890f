"""The inference gateway: the data plane of online endpoints, in its own process.

It authenticates scoring requests (endpoint keys, or ``aml_token`` tokens), picks a deployment by
the ``azureml-model-deployment`` header or the traffic weights, copies a share to a mirror
deployment, and hands the request to that deployment's pool of workers. The control plane tells it
what to serve through ``PUT /_lakebox/state`` (with the admin key); it keeps that state on disk and
serves it again when it restarts, so endpoints keep answering while the control plane is down.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import hmac
import random
import time
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from lakebox.entities.serving import DeploymentStatus, EndpointRoute, ServingState, WindowStats
from lakebox.runtime.files import write_private
from lakebox.security.rate_limit import FailureLimiter
from lakebox.security.tokens import verify_scoped_token
from lakebox.serving.pool import DeploymentPool, QueueFullError

ADMIN_HEADER = "x-lakebox-admin-key"
MAX_DENIAL_KEYS = 10_000
DEPLOYMENT_HEADER = "azureml-model-deployment"
_LATENCY_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
RECENT_REQUESTS = 100_000  # per deployment, for the window statistics safe rollouts watch


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        labels = ("endpoint", "deployment")
        self.requests = Counter("lakebox_requests", "Scoring requests", (*labels, "status"), registry=self.registry)
        self.latency = Histogram(
            "lakebox_request_seconds", "Scoring latency", labels, buckets=_LATENCY_BUCKETS, registry=self.registry
        )
        self.batch_size = Histogram(
            "lakebox_batch_size", "Requests per predict call", labels, buckets=_BATCH_BUCKETS, registry=self.registry
        )
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        self._recent: dict[tuple[str, str], collections.deque[tuple[float, int, float]]] = {}

    def observe(self, endpoint: str, deployment: str, status: int, seconds: float) -> None:
        """Count a request and its latency (the labelled children are looked up once)."""
        key = (endpoint, deployment, status)
        if (children := self._children.get(key)) is None:
            children = self._children[key] = (
                self.requests.labels(endpoint, deployment, str(status)),
                self.latency.labels(endpoint, deployment),
            )
        children[0].inc()
        children[1].observe(seconds)
        recent = self._recent.setdefault((endpoint, deployment), collections.deque(maxlen=RECENT_REQUESTS))
        recent.append((time.monotonic(), status, seconds))

    def window(self, endpoint: str, deployment: str, seconds: float) -> WindowStats:
        """What a deployment answered in the last ``seconds`` (live and mirrored requests)."""
        since = time.monotonic() - seconds
        recent = [r for r in self._recent.get((endpoint, deployment), ()) if r[0] >= since]
        return WindowStats.of([status for _, status, _ in recent], [elapsed for _, _, elapsed in recent])


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


class Gateway:
    def __init__(self, state_file: Path, admin_key: str, limiter: FailureLimiter) -> None:
        self.state_file, self._admin_key, self._limiter = state_file, admin_key, limiter
        self.state: ServingState | None = None
        self.pools: dict[tuple[str, str], DeploymentPool] = {}
        self.starting: dict[tuple[str, str], DeploymentPool] = {}
        self.failed: dict[tuple[str, str], DeploymentStatus] = {}
        self.metrics = Metrics()
        self.denials: collections.Counter[tuple[str, str, int]] = collections.Counter()
        self._tasks: set[asyncio.Task[None]] = set()

    # State

    async def load(self) -> None:
        """Serve the state the gateway had before it stopped, if any."""
        if self.state_file.exists():
            await self.apply(ServingState.model_validate_json(self.state_file.read_text()), persist=False)

    async def apply(self, state: ServingState, *, persist: bool = True) -> None:
        """Start what is new or changed (old generations keep serving until the new one is ready), stop what is gone."""
        if persist:
            write_private(self.state_file, state.model_dump_json())
        self.state = state
        wanted = {(e, d): spec for e, route in state.endpoints.items() for d, spec in route.deployments.items()}
        for key in [k for k in self.pools if k not in wanted]:
            self._background(self.pools.pop(key).stop())
        for key in [k for k in self.starting if k not in wanted]:
            del self.starting[key]  # its bring-up sees it is no longer wanted and stops it
        for key, spec in wanted.items():
            current, starting = self.pools.get(key), self.starting.get(key)
            if current is not None and current.spec.generation == spec.generation:
                continue
            if starting is not None and starting.spec.generation == spec.generation:
                continue
            if (failed := self.failed.get(key)) is not None and failed.generation == spec.generation:
                continue
            pool = DeploymentPool(*key, spec, self.metrics.batch_size.labels(*key).observe)
            self.starting[key] = pool
            self._background(self._bring_up(key, pool))

    def _background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _bring_up(self, key: tuple[str, str], pool: DeploymentPool) -> None:
        ready = await pool.start()
        if self.starting.get(key) is not pool:  # deleted, or superseded by a newer generation meanwhile
            await pool.stop()
            return
        del self.starting[key]
        if not ready:
            self.failed[key] = pool.status()
            return
        self.failed.pop(key, None)
        old, self.pools[key] = self.pools.get(key), pool
        if old is not None:
            await old.drain()
            await old.stop()

    def status(self) -> dict[str, dict[str, DeploymentStatus]]:
        """Per endpoint and deployment, the status of the generation the state asks for."""
        report: dict[str, dict[str, DeploymentStatus]] = {}
        for endpoint, route in (self.state.endpoints if self.state else {}).items():
            for name, spec in route.deployments.items():
                key = (endpoint, name)
                for candidate in (self.starting.get(key), self.pools.get(key)):
                    if candidate is not None and candidate.spec.generation == spec.generation:
                        report.setdefault(endpoint, {})[name] = candidate.status()
                        break
                else:
                    if (failed := self.failed.get(key)) is not None and failed.generation == spec.generation:
                        report.setdefault(endpoint, {})[name] = failed
        return report

    async def close(self) -> None:
        pools = [*self.pools.values(), *self.starting.values()]
        self.pools, self.starting = {}, {}
        await asyncio.gather(*(pool.stop() for pool in pools))

    # Scoring

    async def score(self, request: Request) -> Response:
        started = time.perf_counter()
        name = request.path_params["endpoint"]
        route = self.state.endpoints.get(name) if self.state else None
        if route is None:
            return _error(404, f"endpoint {name!r} not found")
        if (denied := self._authenticate(request, route)) is not None:
            return denied
        chosen = request.headers.get(DEPLOYMENT_HEADER)
        if chosen is not None and chosen not in route.deployments:
            return _error(404, f"endpoint {name!r} has no deployment {chosen!r}")
        deployment = chosen or _weighted_choice(route.traffic)
        if deployment is None:
            return _error(503, f"endpoint {name!r} sends no traffic to any deployment; set its traffic")
        pool = self.pools.get((name, deployment))
        if pool is None or pool.state != "ready":
            return _error(503, f"deployment {deployment!r} of {name!r} is not ready")
        body = await request.body()
        if chosen is None:
            self._mirror(route, body)
        try:
            item = pool.submit(body)
        except QueueFullError:
            return _error(429, "too many pending requests", {"Retry-After": "1"})
        status, payload = await item.future  # the pool answers every request: result, 429, 408 or 502
        elapsed = time.perf_counter() - started
        self.metrics.observe(name, deployment, status, elapsed)
        pool.log_request(status, elapsed)
        if pool.collector is not None:
            pool.collector.offer(body, status, payload)
        headers = {DEPLOYMENT_HEADER: deployment} | ({"Retry-After": "1"} if status == 429 else {})
        return Response(payload, status, media_type="application/json", headers=headers)

    def _mirror(self, route: EndpointRoute, body: bytes) -> None:
        """Send a copy to the mirror deployment, at its share; its answer is dropped."""
        for deployment, share in route.mirror_traffic.items():
            pool = self.pools.get((route.name, deployment))
            if pool is not None and pool.state == "ready" and random.random() * 100 < share:
                try:
                    item = pool.submit(body)
                except QueueFullError:
                    continue
                item.future.add_done_callback(self._count_mirrored(pool, time.perf_counter()))

    def _count_mirrored(self, pool: DeploymentPool, started: float):  # type: ignore[no-untyped-def]
        def done(future: asyncio.Future[tuple[int, bytes]]) -> None:
            if not future.cancelled():
                status, elapsed = future.result()[0], time.perf_counter() - started
                self.metrics.observe(pool.endpoint, pool.deployment, status, elapsed)
                pool.log_request(status, elapsed, mirrored=True)

        return done

    def _authenticate(self, request: Request, route: EndpointRoute) -> Response | None:
        client = request.client.host if request.client else "unknown"
        if (wait := self._limiter.retry_after(client)) > 0:
            self._deny(route.name, client, 429)
            return _error(429, "too many failed authentication attempts", {"Retry-After": str(max(1, round(wait)))})
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        credential = credential.strip()
        if scheme.lower() == "bearer" and credential and self._valid(route, credential):
            return None
        self._limiter.record_failure(client)
        self._deny(route.name, client, 401)
        what = "an endpoint key" if route.auth_mode == "key" else "an aml_token from get_keys"
        return _error(401, f"this endpoint needs 'Authorization: Bearer <{what}>'", {"WWW-Authenticate": "Bearer"})

    def _deny(self, endpoint: str, client: str, status: int) -> None:
        """Count a refused request for the control plane's audit log (bounded while nobody collects)."""
        if len(self.denials) < MAX_DENIAL_KEYS or (endpoint, client, status) in self.denials:
            self.denials[(endpoint, client, status)] += 1

    def take_denials(self) -> list[dict[str, object]]:
        taken, self.denials = self.denials, collections.Counter()
        return [{"endpoint": e, "client": c, "status": s, "count": n} for (e, c, s), n in taken.items()]

    def _valid(self, route: EndpointRoute, credential: str) -> bool:
        if route.auth_mode == "key":
            digest = hashlib.sha256(credential.encode()).hexdigest()
            return any(hmac.compare_digest(digest, known) for known in route.key_hashes)
        assert self.state is not None
        return verify_scoped_token(bytes.fromhex(self.state.token_key), route.name, credential, time.time())

    # Administration

    def admin(self, request: Request) -> bool:
        return hmac.compare_digest(request.headers.get(ADMIN_HEADER, ""), self._admin_key)


def _weighted_choice(traffic: dict[str, int]) -> str | None:
    live = [(name, weight) for name, weight in traffic.items() if weight > 0]
    if not live:
        return None
    names, weights = zip(*live, strict=True)
    return str(random.choices(names, weights)[0])


def create_app(gateway: Gateway, workspace_id: str) -> Starlette:
    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok", "workspace_id": workspace_id, "role": "gateway"})

    async def metrics(_: Request) -> Response:
        return Response(generate_latest(gateway.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    async def put_state(request: Request) -> Response:
        if not gateway.admin(request):
            return _error(401, "the admin key is missing or wrong")
        await gateway.apply(ServingState.model_validate_json(await request.body()))
        return JSONResponse({"applied": True})

    async def get_status(request: Request) -> Response:
        if not gateway.admin(request):
            return _error(401, "the admin key is missing or wrong")
        report = {e: {d: s.model_dump() for d, s in deps.items()} for e, deps in gateway.status().items()}
        return JSONResponse(report)

    async def window(request: Request) -> Response:
        if not gateway.admin(request):
            return _error(401, "the admin key is missing or wrong")
        try:
            seconds = float(request.query_params.get("seconds", "60"))
        except ValueError:
            return _error(400, "seconds must be a number")
        stats = gateway.metrics.window(request.path_params["endpoint"], request.path_params["deployment"], seconds)
        return JSONResponse(stats.model_dump())

    async def take_denials(request: Request) -> Response:
        if not gateway.admin(request):
            return _error(401, "the admin key is missing or wrong")
        return JSONResponse(gateway.take_denials())

    async def swagger(request: Request) -> Response:
        name = request.path_params["endpoint"]
        route = gateway.state.endpoints.get(name) if gateway.state else None
        if route is None:
            return _error(404, f"endpoint {name!r} not found")
        if (denied := gateway._authenticate(request, route)) is not None:
            return denied
        return JSONResponse(_openapi(name))

    async def not_found(_: Request) -> Response:
        return PlainTextResponse("not found", status_code=404)

    routes = [
        Route("/health", health),
        Route("/metrics", metrics),
        Route("/_lakebox/state", put_state, methods=["PUT"]),
        Route("/_lakebox/status", get_status),
        Route("/_lakebox/denials", take_denials, methods=["POST"]),
        Route("/_lakebox/window/{endpoint}/{deployment}", window),
        Route("/endpoints/{endpoint}/score", gateway.score, methods=["POST"]),
        Route("/endpoints/{endpoint}/swagger.json", swagger),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await gateway.close()

    return Starlette(routes=routes, lifespan=lifespan)


def _openapi(endpoint: str) -> dict[str, object]:
    return {
        "openapi": "3.0.1",
        "info": {"title": f"lakebox endpoint {endpoint}", "version": "1.0"},
        "paths": {
            f"/endpoints/{endpoint}/score": {
                "post": {
                    "summary": "Score",
                    "security": [{"Bearer": []}],
                    "parameters": [
                        {"name": DEPLOYMENT_HEADER, "in": "header", "required": False, "schema": {"type": "string"}}
                    ],
                    "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                    "responses": {code: {"description": text} for code, text in _STATUS_CODES.items()},
                }
            }
        },
        "components": {"securitySchemes": {"Bearer": {"type": "http", "scheme": "bearer"}}},
    }


_STATUS_CODES = {
    "200": "Predictions",
    "400": "Malformed input, or a column missing",
    "401": "No valid key or token",
    "404": "No such endpoint or deployment",
    "408": "The model took longer than request_timeout_ms",
    "422": "A column has values of the wrong type",
    "429": "Too many pending requests (Retry-After)",
    "500": "The scoring script raised",
    "502": "The worker serving the request ended",
    "503": "No deployment ready to take the request",
}
