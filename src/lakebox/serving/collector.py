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

from lakebox.serving.state import Collection

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
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            await asyncio.to_thread(self.flush)

    def flush(self) -> None:
        """Append what is buffered; rows that could not be written wait for the next flush."""
        from deltalake import write_deltalake

        for collection, buffer in self._buffers.items():
            if not buffer:
                continue
            rows, self._buffers[collection] = buffer, []
            folder = Path(self._collection.folder) / collection
            try:
                folder.mkdir(parents=True, exist_ok=True)
                write_deltalake(str(folder), pa.Table.from_pylist(rows, schema=SCHEMA), mode="append")
            except Exception:
                _logger.exception("could not write %d collected rows to %s", len(rows), folder)
                self._buffers[collection] = (rows + self._buffers[collection])[-MAX_BUFFERED:]
