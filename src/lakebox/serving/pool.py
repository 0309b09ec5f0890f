"""One generation of a deployment inside the gateway: its worker processes and the queue in front of them.

Each worker has ``max_concurrent_requests_per_instance`` slots; a free slot takes the oldest waiting
request and, for a no-code MLflow deployment, every other request waiting then (up to
``max_batch_size``), and sends them to its worker as one batch. Batches form only while workers are
busy, so an idle deployment answers at once and a loaded one amortises each predict call. A request
that waits longer than ``max_queue_wait_ms`` gets 429; one whose worker takes longer than
``request_timeout_ms`` gets 408 (Azure ML's codes). A worker that dies is started again; requests
it held are sent once more to another worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import logging
import os
import stat
import tempfile
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lakebox.entities.serving import DeploymentStatus, WorkerSpec, WorkerStatus
from lakebox.serving import worker as protocol
from lakebox.serving.collector import RequestCollector

_logger = logging.getLogger(__name__)
WORKER_SCRIPT = Path(protocol.__file__)
MAX_QUEUE_LENGTH = 10_000
REQUEST_LOG = "requests.log"
REQUEST_LOG_BYTES = 10 * 2**20  # then it is rotated to requests.log.1
_READY_POLL_SECONDS = 0.02
_RESTART_BACKOFF_SECONDS = (0.5, 1, 2, 5, 10, 30)
_STOP_GRACE_SECONDS = 5.0

Result = tuple[int, bytes]
_TOO_MANY: Result = (429, b'{"error": "too many pending requests; retry later"}')


class QueueFullError(Exception):
    pass


@dataclass
class Pending:
    body: bytes
    future: asyncio.Future[Result]
    enqueued: float = field(default_factory=time.monotonic)
    dispatched: bool = False
    attempts: int = 0


class RequestQueue:
    """A FIFO that slots wait on; a request a dead worker held goes back to the front."""

    def __init__(self) -> None:
        self._items: deque[Pending] = deque()
        self._waiters: deque[asyncio.Future[None]] = deque()

    def __len__(self) -> int:
        return len(self._items)

    def put(self, item: Pending, *, front: bool = False) -> None:
        (self._items.appendleft if front else self._items.append)(item)
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                break

    async def take(self, limit: int, wait_s: float) -> list[Pending]:
        """At least one live request, and up to ``limit`` of those waiting (``wait_s`` more for a full batch)."""
        while not self._items:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            await waiter
        batch = self._pop(limit)
        deadline = time.monotonic() + wait_s
        while len(batch) < limit and wait_s > 0 and (left := deadline - time.monotonic()) > 0:
            if not self._items:
                await asyncio.sleep(min(left, 0.0005))
            batch += self._pop(limit - len(batch))
        return batch

    def _pop(self, limit: int) -> list[Pending]:
        batch: list[Pending] = []
        while self._items and len(batch) < limit:
            item = self._items.popleft()
            if not item.future.done():  # its caller gave up
                batch.append(item)
        return batch

    def expire(self, enqueued_before: float, result: Result) -> None:
        """Answer ``result`` to every first-attempt request queued before ``enqueued_before``."""
        while self._items and self._items[0].enqueued < enqueued_before and self._items[0].attempts == 0:
            item = self._items.popleft()
            if not item.future.done():
                item.future.set_result(result)

    def fail_all(self, status: int, message: bytes) -> None:
        while self._items:
            item = self._items.popleft()
            if not item.future.done():
                item.future.set_result((status, message))


def _socket_folder_path() -> Path:
    """In the temp dir: Unix socket paths must be short (108 bytes)."""
    return Path(tempfile.gettempdir()) / f"lakebox-{os.getuid()}"


def socket_folder() -> Path:
    """``$TMPDIR/lakebox-<uid>``, made if need be, and this user's alone. The temporary folder is shared, so
    one that somebody else made first (or a symlink) is refused: whoever owns it could swap a worker's
    socket for their own."""
    folder = _socket_folder_path()
    with contextlib.suppress(FileExistsError):  # a folder, a file or a dangling symlink: looked at next
        folder.mkdir(mode=0o700)
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise PermissionError(f"{folder} is not a folder of this user's; remove it, and lakebox makes its own")
    if stat.S_IMODE(info.st_mode) & 0o077:
        folder.chmod(0o700)
    return folder


class Worker:
    """One worker process and the connection to it; frames carry ids, so batches can overlap."""

    def __init__(self, pool: DeploymentPool, index: int) -> None:
        self.pool, self.index = pool, index
        self.process: asyncio.subprocess.Process | None = None
        self.state: str = "starting"
        self.restarts = 0
        self.predictor: str | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._ids = itertools.count()
        self._calls: dict[int, tuple[list[Pending], asyncio.Future[list[Result]]]] = {}
        self._reader_task: asyncio.Task[None] | None = None

    @property
    def socket_path(self) -> str:
        """In :func:`socket_folder`, which :meth:`start` checks before each start."""
        unique = hashlib.sha256(f"{self.pool.spec.log_dir}/{self.pool.spec.generation}".encode()).hexdigest()[:16]
        return str(_socket_folder_path() / f"{unique}-{self.index}.sock")

    @property
    def log_path(self) -> Path:
        return Path(self.pool.spec.log_dir) / f"{self.pool.spec.generation}-{self.index}.log"

    async def start(self) -> bool:
        """Start the process and wait until it listens; False if it exits or the readiness timeout passes."""
        spec = self.pool.spec
        try:
            socket_folder()
        except PermissionError as exc:  # the socket folder is not private: say why in the worker's log
            with open(self.log_path, "a") as log:
                log.write(f"lakebox: {exc}\n")
            self.state = "failed"
            return False
        Path(self.socket_path).unlink(missing_ok=True)
        arguments = ["--socket", self.socket_path, "--mode", spec.mode, "--threads", str(self._threads())]
        if spec.model_dir:
            arguments += ["--model-dir", spec.model_dir]
        if spec.scoring_script:
            arguments += ["--scoring-script", spec.scoring_script]
        if not spec.compile_model:
            arguments.append("--no-compile")
        if spec.cache_dir:
            arguments += ["--cache-dir", spec.cache_dir]
        with open(self.log_path, "ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                spec.python, str(WORKER_SCRIPT), *arguments,
                cwd=spec.workdir, env=spec.environment, stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log,
            )  # fmt: skip
        with contextlib.suppress(OSError):
            os.sched_setaffinity(self.process.pid, sorted(os.sched_getaffinity(0))[: spec.cores])
        deadline = time.monotonic() + spec.readiness_timeout_s
        while time.monotonic() < deadline and self.process.returncode is None:
            try:
                reader, self._writer = await asyncio.open_unix_connection(self.socket_path, limit=2**26)
            except (FileNotFoundError, ConnectionRefusedError):
                await asyncio.sleep(_READY_POLL_SECONDS)
                continue
            self.state = "ready"
            self.predictor = _predictor(self.socket_path)
            self._reader_task = asyncio.create_task(self._read(reader))
            return True
        self.state = "failed"
        await self.stop()
        return False

    def _threads(self) -> int:
        return self.pool.spec.request_settings.max_concurrent_requests_per_instance

    async def call(self, batch: list[Pending], *, ping: bool = False) -> list[Result]:
        assert self._writer is not None
        call_id = next(self._ids)
        done: asyncio.Future[list[Result]] = asyncio.get_running_loop().create_future()
        self._calls[call_id] = (batch, done)
        header = {"id": call_id, "ping": True} if ping else {"id": call_id}
        self._writer.write(protocol.encode_frame(header, [item.body for item in batch]))
        try:
            return await done
        finally:
            self._calls.pop(call_id, None)

    async def _read(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                header, bodies = await protocol.read_frame(reader)
                call = self._calls.get(header["id"])
                if call is not None and not call[1].done():
                    call[1].set_result(list(zip(header["statuses"], bodies, strict=True)))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        self.state = "stopped" if self.pool.stopping else "failed"
        for _, done in list(self._calls.values()):
            if not done.done():
                done.set_exception(ConnectionError(f"worker {self.index} of {self.pool.label} ended"))
        if self.process is not None:
            await self.process.wait()
        if not self.pool.stopping:
            self.pool.worker_died(self)

    async def alive(self, timeout_s: float) -> bool:
        """Whether the worker's event loop answers a ping within ``timeout_s``."""
        try:
            await asyncio.wait_for(self.call([], ping=True), timeout_s)
        except (TimeoutError, ConnectionError, AssertionError):
            return False
        return True

    def kill(self) -> None:
        """End a hung worker; its reader sees the connection close and the pool starts it again."""
        if self.process is not None and self.process.returncode is None:
            self.process.kill()

    async def stop(self) -> None:
        if self._writer is not None:
            self._writer.close()
        process = self.process
        if process is None or process.returncode is not None:
            return
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), _STOP_GRACE_SECONDS)
        except TimeoutError:
            process.kill()
            await process.wait()


class DeploymentPool:
    def __init__(
        self,
        endpoint: str,
        deployment: str,
        spec: WorkerSpec,
        observe_batch: Callable[[float], None] = lambda _: None,
    ) -> None:
        self.endpoint, self.deployment, self.spec = endpoint, deployment, spec
        self.label = f"{endpoint}/{deployment}"
        self.queue = RequestQueue()
        self.workers = [Worker(self, index) for index in range(spec.instance_count)]
        self.state = "starting"
        self.error: str | None = None
        self.stopping = False
        self.in_flight = 0
        self._observe_batch = observe_batch
        self._request_log: list[str] = []
        self._tasks: list[asyncio.Task[None]] = []
        self.collector = RequestCollector(endpoint, deployment, spec.collection) if spec.collection else None
        Path(spec.log_dir).mkdir(parents=True, exist_ok=True)

    # Lifecycle

    async def start(self) -> bool:
        """Start every worker; the pool is ready (and takes traffic) only when all of them are."""
        started = await asyncio.gather(*(w.start() for w in self.workers))
        if not all(started):
            self.state = "failed"
            failed = next(w for w, ok in zip(self.workers, started, strict=True) if not ok)
            self.error = f"worker {failed.index} did not become ready:\n{_tail(failed.log_path)}"
            await self.stop()
            return False
        self.state = "ready"
        for worker in self.workers:
            self._start_slots(worker)
        self._tasks.append(asyncio.create_task(self._expire_waiting()))
        self._tasks.append(asyncio.create_task(self._write_request_log()))
        if self.collector is not None:
            self._tasks.append(asyncio.create_task(self.collector.run()))
        self._tasks += [asyncio.create_task(self._probe_liveness(worker)) for worker in self.workers]
        return True

    def log_request(self, status: int, seconds: float, *, mirrored: bool = False) -> None:
        """One line of the request log (``get_logs --container requests``), written twice a second."""
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        self._request_log.append(f"{stamp}Z {status} {seconds * 1000:.2f}ms{' mirrored' if mirrored else ''}\n")

    async def _write_request_log(self) -> None:
        path = Path(self.spec.log_dir) / REQUEST_LOG
        while True:
            await asyncio.sleep(0.5)
            self.flush_request_log(path)

    def flush_request_log(self, path: Path) -> None:
        if not self._request_log:
            return
        lines, self._request_log = self._request_log, []
        if path.exists() and path.stat().st_size > REQUEST_LOG_BYTES:
            path.replace(path.with_suffix(".log.1"))
        with open(path, "a") as log:
            log.write("".join(lines))

    async def _probe_liveness(self, worker: Worker) -> None:
        """Azure ML's liveness probe: after ``failure_threshold`` unanswered pings in a row, the worker is
        killed and started again."""
        probe = self.spec.liveness
        await asyncio.sleep(probe.initial_delay)
        failures = 0
        while True:
            await asyncio.sleep(probe.period)
            if worker.state != "ready":
                failures = 0
                continue
            failures = 0 if await worker.alive(probe.timeout) else failures + 1
            if failures >= probe.failure_threshold:
                _logger.warning(
                    "worker %d of %s missed %d liveness probes; killing it", worker.index, self.label, failures
                )
                worker.kill()
                failures = 0

    async def _expire_waiting(self) -> None:
        """Answer 429 to requests that waited longer than ``max_queue_wait_ms`` (all workers busy or down)."""
        wait_s = self.spec.request_settings.max_queue_wait_ms / 1000
        while True:
            await asyncio.sleep(max(0.01, min(0.1, wait_s / 2)))
            self.queue.expire(time.monotonic() - wait_s, _TOO_MANY)

    def _start_slots(self, worker: Worker) -> None:
        for _ in range(worker._threads()):
            self._tasks.append(asyncio.create_task(self._slot(worker)))

    async def drain(self) -> None:
        """Wait until no request is queued or in flight (for a generation being replaced)."""
        while len(self.queue) or self.in_flight:
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        self.stopping = True
        for task in self._tasks:
            task.cancel()
        self.flush_request_log(Path(self.spec.log_dir) / REQUEST_LOG)
        if self.collector is not None:
            await self.collector.write_buffered()
        self.queue.fail_all(503, b'{"error": "the deployment is shutting down"}')
        await asyncio.gather(*(w.stop() for w in self.workers))
        for worker in self.workers:
            Path(worker.socket_path).unlink(missing_ok=True)

    def worker_died(self, worker: Worker) -> None:
        """Start a dead worker again (with back-off); its slots pause meanwhile."""
        _logger.warning("worker %d of %s ended; starting it again", worker.index, self.label)
        self._tasks.append(asyncio.create_task(self._restart(worker)))

    async def _restart(self, worker: Worker) -> None:
        while not self.stopping:
            delay = _RESTART_BACKOFF_SECONDS[min(worker.restarts, len(_RESTART_BACKOFF_SECONDS) - 1)]
            worker.restarts += 1
            await asyncio.sleep(delay)
            worker.state = "starting"
            if await worker.start():
                return

    # Requests

    def submit(self, body: bytes) -> Pending:
        """Queue a request; its ``future`` gets the worker's status and body."""
        if len(self.queue) >= MAX_QUEUE_LENGTH:
            raise QueueFullError
        item = Pending(body, asyncio.get_running_loop().create_future())
        self.queue.put(item)
        return item

    async def _slot(self, worker: Worker) -> None:
        settings = self.spec.request_settings
        batching = self.spec.batching
        limit = batching.max_batch_size if self.spec.mode == "mlflow" and batching.enabled else 1
        wait_s = batching.max_batch_wait_ms / 1000
        queue_wait_s = settings.max_queue_wait_ms / 1000
        while True:
            if worker.state != "ready":
                await asyncio.sleep(0.05)
                continue
            batch = await self.queue.take(limit, wait_s)
            now = time.monotonic()
            live = []
            for item in batch:
                if now - item.enqueued > queue_wait_s and item.attempts == 0:
                    item.future.set_result(_TOO_MANY)
                else:
                    item.dispatched = True
                    live.append(item)
            if live:
                await self._send(worker, live, settings.request_timeout_ms / 1000)

    async def _send(self, worker: Worker, batch: list[Pending], timeout_s: float) -> None:
        self.in_flight += len(batch)
        self._observe_batch(len(batch))
        try:
            results = await asyncio.wait_for(worker.call(batch), timeout_s)
        except TimeoutError:
            results = [(408, b'{"error": "the model took longer than request_timeout_ms"}')] * len(batch)
        except ConnectionError:
            for item in reversed(batch):  # the worker died: try each request once more, first in line
                item.attempts += 1
                if item.attempts < 2:
                    self.queue.put(item, front=True)
                elif not item.future.done():
                    item.future.set_result((502, b'{"error": "the worker serving this request ended"}'))
            return
        finally:
            self.in_flight -= len(batch)
        for item, result in zip(batch, results, strict=True):
            if not item.future.done():
                item.future.set_result(result)

    def status(self) -> DeploymentStatus:
        workers = [
            WorkerStatus(
                pid=w.process.pid if w.process else None,
                state=w.state,  # type: ignore[arg-type]
                restarts=w.restarts,
                predictor=w.predictor,
            )
            for w in self.workers
        ]
        return DeploymentStatus(
            generation=self.spec.generation,
            state=self.state,  # type: ignore[arg-type]
            error=self.error,
            workers=workers,
        )


def _predictor(socket_path: str) -> str | None:
    """What the worker predicts with, as it reported before listening."""
    try:
        return str(json.loads(Path(socket_path + ".json").read_text())["predictor"])
    except (OSError, ValueError, KeyError):
        return None


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"
