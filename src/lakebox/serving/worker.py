"""A deployment worker: loads one model (a ``score.py`` or a no-code MLflow model) and scores the
batches the gateway sends it over a Unix socket.

It runs as a script in the deployment's environment, which need not have lakebox installed, so it
imports only the standard library (and, when scoring, the model's own libraries). The gateway
imports the frame helpers from here, so both sides share one definition of the protocol.

A frame is a 4-byte big-endian length, a JSON header of that length, then ``header["size"]``
bytes of payload: the request bodies (or responses) back to back, ``header["lengths"]`` long each.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import struct
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

_LENGTH = struct.Struct(">I")
EXIT_INIT_FAILED = 3


# The protocol, shared with the gateway.


async def read_frame(reader: asyncio.StreamReader) -> tuple[dict[str, Any], list[bytes]]:
    """One frame: its header and its payload split into parts."""
    (size,) = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))
    header = json.loads(await reader.readexactly(size))
    payload = await reader.readexactly(header["size"]) if header["size"] else b""
    parts, offset = [], 0
    for length in header["lengths"]:
        parts.append(payload[offset : offset + length])
        offset += length
    return header, parts


def encode_frame(header: dict[str, Any], parts: list[bytes]) -> bytes:
    payload = b"".join(parts)
    raw = json.dumps({**header, "size": len(payload), "lengths": [len(p) for p in parts]}).encode()
    return _LENGTH.pack(len(raw)) + raw + payload


# Scoring.


class InputError(Exception):
    """A request the model cannot take; ``status`` is 400 (malformed, missing column) or 422 (wrong type)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _error(status: int, message: str) -> tuple[int, bytes]:
    return status, json.dumps({"error": message}).encode()


class ScriptScorer:
    """Azure ML's scoring contract: ``init()`` once, then ``run(raw_data)`` per request; ``run``'s value
    is sent JSON-encoded (a ``str`` included, as Azure ML does), ``bytes`` as they are."""

    def __init__(self, script: Path) -> None:
        spec = importlib.util.spec_from_file_location("score", script)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {script}")
        module = importlib.util.module_from_spec(spec)
        sys.modules["score"] = module
        spec.loader.exec_module(module)
        for name in ("init", "run"):
            if not callable(getattr(module, name, None)):
                raise AttributeError(f"{script.name} must define {name}()")
        module.init()
        self._run = module.run

    def score(self, bodies: list[bytes]) -> list[tuple[int, bytes]]:
        return [self._score_one(body) for body in bodies]

    def _score_one(self, body: bytes) -> tuple[int, bytes]:
        try:
            result = self._run(body.decode())
        except Exception as exc:
            traceback.print_exc()
            return _error(500, f"run() raised {type(exc).__name__}: {exc}")
        if isinstance(result, bytes):
            return 200, result
        try:
            return 200, json.dumps(result).encode()
        except (TypeError, ValueError) as exc:
            return _error(500, f"run() returned a value that is not JSON serializable: {exc}")


class MlflowScorer:
    """A no-code MLflow deployment: each request is parsed and checked against the model's signature on
    its own, the valid ones are scored in one ``predict`` call, and each gets exactly its own rows back."""

    def __init__(self, model_dir: Path) -> None:
        import mlflow.pyfunc
        import pandas

        self._pd = pandas
        self._model = mlflow.pyfunc.load_model(str(model_dir))
        schema = self._model.metadata.get_input_schema()
        self._columns = [] if schema is None or not schema.has_input_names() else list(schema.inputs)

    def score(self, bodies: list[bytes]) -> list[tuple[int, bytes]]:
        results: list[tuple[int, bytes] | None] = [None] * len(bodies)
        frames: list[tuple[int, Any, bool]] = []
        for index, body in enumerate(bodies):
            try:
                frame, azure_format = self._parse(body)
                frames.append((index, self._conform(frame), azure_format))
            except InputError as exc:
                results[index] = _error(exc.status, str(exc))
        if frames:
            for index, result in self._predict(frames):
                results[index] = result
        return [result or _error(500, "no result") for result in results]

    def _predict(self, frames: list[tuple[int, Any, bool]]) -> list[tuple[int, tuple[int, bytes]]]:
        combined = frames[0][1] if len(frames) == 1 else self._pd.concat([f[1] for f in frames], ignore_index=True)
        try:
            predictions = self._model.predict(combined)
        except Exception as exc:
            if len(frames) > 1:  # one request's bad values must not fail the others
                return [pair for frame in frames for pair in self._predict([frame])]
            return [(frames[0][0], _error(400, f"{type(exc).__name__}: {exc}"))]
        rows = _rows(predictions)
        answers, offset = [], 0
        for index, frame, azure_format in frames:
            part = rows[offset : offset + len(frame)]
            offset += len(frame)
            answers.append((index, (200, json.dumps(part if azure_format else {"predictions": part}).encode())))
        return answers

    def _parse(self, body: bytes) -> tuple[Any, bool]:
        """A DataFrame from Azure ML's ``input_data``, or MLflow's ``dataframe_split``, ``dataframe_records``
        or ``inputs``; whether the answer takes Azure ML's shape (a bare list)."""
        try:
            document = json.loads(body)
        except ValueError as exc:
            raise InputError(f"the request body is not JSON: {exc}") from None
        if not isinstance(document, dict):
            raise InputError("the request body must be a JSON object with input_data, dataframe_split, ...")
        pd = self._pd
        try:
            if "input_data" in document:
                return self._split_frame(document["input_data"]), True
            if "dataframe_split" in document:
                return self._split_frame(document["dataframe_split"]), False
            if "dataframe_records" in document:
                return pd.DataFrame.from_records(document["dataframe_records"]), False
            if "inputs" in document:
                inputs = document["inputs"]
                return (pd.DataFrame(inputs) if isinstance(inputs, dict) else self._split_frame(inputs)), False
        except (ValueError, TypeError) as exc:
            raise InputError(f"the input cannot be read as a table: {exc}") from None
        raise InputError("the request needs one of: input_data, dataframe_split, dataframe_records, inputs")

    def _split_frame(self, value: Any) -> Any:
        if isinstance(value, dict):
            return self._pd.DataFrame(value.get("data"), columns=value.get("columns"), index=value.get("index"))
        if not isinstance(value, list):
            raise InputError("input data must be an object with columns and data, or a list of rows")
        names = [column.name for column in self._columns]
        rows = value if value and isinstance(value[0], list) else [value]
        width = len(rows[0]) if rows else 0
        return self._pd.DataFrame(rows, columns=names if names and width == len(names) else None)

    def _conform(self, frame: Any) -> Any:
        """Check that every required column of the signature is there with values of its type, and cast
        numbers to the signature's type (JSON does not tell 1 from 1.0; MLflow's checks do)."""
        pd = self._pd
        for column in self._columns:
            if column.name not in frame.columns:
                if getattr(column, "required", True):
                    raise InputError(f"missing column {column.name!r} (the model's signature requires it)")
                continue
            kind = str(getattr(column.type, "name", column.type)).lower()
            values = frame[column.name]
            numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
            if kind in _NUMPY_TYPES and not numeric:
                bad = next((v for v in values if not isinstance(v, int | float) or isinstance(v, bool)), None)
                raise InputError(f"column {column.name!r} must be {kind}; got {bad!r}", status=422)
            if kind in _NUMPY_TYPES and values.dtype != _NUMPY_TYPES[kind]:
                if kind in ("long", "integer") and not (values % 1 == 0).all():
                    raise InputError(f"column {column.name!r} must be {kind}; got fractional values", status=422)
                frame[column.name] = values.astype(_NUMPY_TYPES[kind])
            if kind == "string" and not all(isinstance(v, str) for v in values):
                raise InputError(f"column {column.name!r} must be string", status=422)
        return frame


_NUMPY_TYPES = {"double": "float64", "float": "float32", "long": "int64", "integer": "int32"}


def _rows(predictions: Any) -> list[Any]:
    """Predictions as JSON-ready rows: DataFrames as records, arrays and series as lists."""
    if hasattr(predictions, "to_dict") and hasattr(predictions, "columns"):
        return list(predictions.to_dict(orient="records"))
    if hasattr(predictions, "tolist"):
        return list(predictions.tolist())
    return list(predictions)


# Serving.


async def serve(scorer: ScriptScorer | MlflowScorer, socket_path: str, threads: int) -> None:
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="score")
    loop = asyncio.get_running_loop()

    async def answer(header: dict[str, Any], bodies: list[bytes], writer: asyncio.StreamWriter) -> None:
        results = await loop.run_in_executor(pool, scorer.score, bodies)
        statuses = [status for status, _ in results]
        writer.write(encode_frame({"id": header["id"], "statuses": statuses}, [body for _, body in results]))

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        tasks: set[asyncio.Task[None]] = set()
        while True:
            try:
                header, bodies = await read_frame(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                break
            task = asyncio.create_task(answer(header, bodies, writer))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    server = await asyncio.start_unix_server(connection, path=socket_path, limit=2**26)
    print(f"lakebox worker {os.getpid()} ready", file=sys.stderr, flush=True)
    watchdog = asyncio.create_task(_exit_with_parent(os.getppid()))
    async with server:
        await server.serve_forever()
    watchdog.cancel()


async def _exit_with_parent(parent: int) -> None:
    """End when the gateway that started this worker is gone (even killed with SIGKILL)."""
    while os.getppid() == parent:
        await asyncio.sleep(1.0)
    os._exit(0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lakebox-worker")
    parser.add_argument("--socket", required=True)
    parser.add_argument("--mode", choices=("script", "mlflow"), required=True)
    parser.add_argument("--model-dir")
    parser.add_argument("--scoring-script")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    sys.path.insert(0, os.getcwd())
    try:
        if args.mode == "script":
            scorer: ScriptScorer | MlflowScorer = ScriptScorer(Path(args.scoring_script))
        else:
            scorer = MlflowScorer(Path(args.model_dir))
    except BaseException:
        traceback.print_exc()
        print("lakebox worker: the model failed to load (see the traceback above)", file=sys.stderr, flush=True)
        return EXIT_INIT_FAILED
    asyncio.run(serve(scorer, args.socket, args.threads))
    return 0


if __name__ == "__main__":
    sys.exit(main())
