"""A deployment's data collector in the gateway: a sampled share of the requests it answers, and its
answers, appended to Delta tables (``model_inputs``, ``model_outputs``) every couple of seconds.

Rows wait in memory between writes (at most ``MAX_BUFFERED`` of each; beyond that the oldest are
dropped and counted), so collecting never slows a request down.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from lakebox.entities.serving import Collection

_logger = logging.getLogger(__name__)
FLUSH_SECONDS = 2.0
MAX_BUFFERED = 50_000
SCHEMA = pa.schema(
    [
        ("correlationid", pa.string()),
        ("time", pa.timestamp("us", tz="UTC")),
        ("endpoint", pa.string()),
        ("deployment", pa.string()),
        ("status", pa.int32()),
        ("data", pa.string()),
    ]
)


class RequestCollector:
    def __init__(self, endpoint: str, deployment: str, collection: Collection) -> None:
        self._endpoint, self._deployment, self._collection = endpoint, deployment, collection
        self._buffers: dict[str, list[dict[str, object]]] = {"model_inputs": [], "model_outputs": []}
        self.dropped = 0

    def offer(self, body: bytes, status: int, answer: bytes) -> None:
        """Keep the request (and its answer, if it succeeded) with the collector's sampling rate."""
        if random.random() >= self._collection.sampling_rate:
            return
        row = {
            "correlationid": uuid.uuid4().hex,
            "time": datetime.now(UTC),
            "endpoint": self._endpoint,
            "deployment": self._deployment,
            "status": status,
        }
        if self._collection.inputs:
            self._keep("model_inputs", row | {"data": body.decode("utf-8", "replace")})
        if self._collection.outputs and status == 200:
            self._keep("model_outputs", row | {"data": answer.decode("utf-8", "replace")})

    def _keep(self, collection: str, row: dict[str, object]) -> None:
        buffer = self._buffers[collection]
        if len(buffer) >= MAX_BUFFERED:
            del buffer[0]
            self.dropped += 1
        buffer.append(row)

    async def run(self) -> None:
        """Write what is buffered every ``FLUSH_SECONDS``; rows are taken and put back on the event loop's
        thread, so ``offer`` never races a write."""
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            await self.write_buffered()

    async def write_buffered(self) -> None:
        """Write what is buffered (off the event loop's thread)."""
        self._put_back(await asyncio.to_thread(self._write, self._take()))

    def flush(self) -> None:
        """Write what is buffered, on this thread; rows that could not be written wait for the next write."""
        self._put_back(self._write(self._take()))

    def _take(self) -> dict[str, list[dict[str, object]]]:
        taken = {collection: rows for collection, rows in self._buffers.items() if rows}
        for collection in taken:
            self._buffers[collection] = []
        return taken

    def _write(self, taken: dict[str, list[dict[str, object]]]) -> dict[str, list[dict[str, object]]]:
        """Append each collection's rows; returns those that could not be written."""
        from deltalake import write_deltalake

        failed = {}
        for collection, rows in taken.items():
            folder = Path(self._collection.folder) / collection
            try:
                folder.mkdir(parents=True, exist_ok=True)
                write_deltalake(str(folder), pa.Table.from_pylist(rows, schema=SCHEMA), mode="append")
            except Exception:
                _logger.exception("could not write %d collected rows to %s", len(rows), folder)
                failed[collection] = rows
        return failed

    def _put_back(self, failed: dict[str, list[dict[str, object]]]) -> None:
        for collection, rows in failed.items():
            self._buffers[collection] = (rows + self._buffers[collection])[-MAX_BUFFERED:]
