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
import runpy
import struct
import sys
import traceback
import warnings
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


class Table:
    """One request's input: its rows, the columns they are in (None: the signature's order), and
    whether the answer takes Azure ML's shape (a bare list) or MLflow's (``{"predictions": ...}``)."""

    __slots__ = ("azure", "columns", "rows")

    def __init__(self, columns: tuple[str, ...] | None, rows: list[list[Any]], azure: bool) -> None:
        self.columns, self.rows, self.azure = columns, rows, azure


class MlflowScorer:
    """A no-code MLflow deployment: each request is parsed and checked against the model's signature on
    its own (plain lists, no DataFrame per request), the valid ones are scored in one ``predict`` call
    per column layout, and each gets exactly its own rows back.

    A scikit-learn, LightGBM or XGBoost model (of scikit-learn's API) whose signature names its columns
    is called directly (the signature checks are done here), which saves MLflow's per-call schema
    enforcement, and is compiled when that verifies (see ``_compile``); anything else goes through
    ``pyfunc.predict``."""

    def __init__(self, model_dir: Path, compile_model: bool = True, cache_dir: Path | None = None) -> None:
        import mlflow.pyfunc
        import numpy
        import pandas

        self._np, self._pd = numpy, pandas
        self._model = mlflow.pyfunc.load_model(str(model_dir))
        schema = self._model.metadata.get_input_schema()
        specs = [] if schema is None or not schema.has_input_names() else list(schema.inputs)
        self._names = [spec.name for spec in specs]
        self._required = [spec.name for spec in specs if getattr(spec, "required", True)]
        self._optional = set(self._names) - set(self._required)  # null is a missing value there
        self._kinds = {spec.name: str(getattr(spec.type, "name", spec.type)).lower() for spec in specs}
        self._casts = {name: _NUMPY_TYPES[kind] for name, kind in self._kinds.items() if kind in _NUMPY_TYPES}
        self._numeric = bool(self._names) and len(self._casts) == len(self._names)
        pyfunc = self._model.metadata.flavors.get("python_function", {})
        direct = pyfunc.get("loader_module") in _DIRECT_FLAVORS and pyfunc.get("predict_fn", "predict") == "predict"
        raw = self._model.get_raw_model() if direct and self._names else None
        self._estimator: Any = raw if hasattr(raw, "get_params") else None  # scikit-learn's API, not a Booster
        self._needed = self._names if self._estimator is not None else self._required  # it was fitted on them all
        self._compiled: Any = None
        self._cache_dir = cache_dir
        self.predictor = "mlflow pyfunc"
        if self._estimator is not None:
            warnings.filterwarnings("ignore", message="X does not have valid feature names")
            self.predictor = f"{_library(self._estimator)} (native)"
            if compile_model:
                self._compiled, self.predictor = self._compile()
            else:
                self.predictor += ": compilation switched off for this deployment"

    def _compile(self) -> tuple[Any, str]:
        """A compiled form of the model: a scikit-learn tree ensemble as the batch driver compiles it (exactly
        scikit-learn's answers, checked on rows built from its thresholds); else an ONNX Runtime session,
        used only if it gives the native model's answers on the model's input example: labels exactly,
        numbers within rtol 1e-4 (ONNX computes in float32)."""
        import numpy as np

        model = self._estimator
        native = f"{_library(model)} (native): "
        if not self._numeric:
            return None, native + "only signatures of numeric columns are compiled"
        if (forest := self._compile_forest()) is not None:
            return forest
        sample = self._model.input_example
        if sample is None or not hasattr(sample, "columns") or len(sample) == 0:
            return None, native + "the model has no input example to verify a compiled form against"
        try:
            import onnxruntime
        except ImportError:
            return None, native + "onnxruntime is not in the deployment's environment"
        features = sample[self._names].to_numpy(dtype=np.float32)
        classifier = hasattr(model, "classes_")
        try:
            onnx_model = _to_onnx(model, features, classifier)
        except ImportError as exc:
            return None, native + f"the converter is not in the deployment's environment ({exc.name})"
        except Exception as exc:
            return None, native + f"cannot convert {type(model).__name__} to ONNX: {exc}"
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        options.log_severity_level = 3  # its shape warnings about batch sizes are noise
        session = onnxruntime.InferenceSession(onnx_model.SerializeToString(), options, ["CPUExecutionProvider"])
        input_name = session.get_inputs()[0].name

        def predict(matrix: Any) -> Any:
            return session.run(None, {input_name: matrix.astype(np.float32)})[0].reshape(-1)

        expected, got = np.asarray(model.predict(sample[self._names])), predict(features)
        same = expected.tolist() == got.tolist() if classifier else np.allclose(expected, got, rtol=1e-4, atol=1e-6)
        if not same:
            return None, native + f"the compiled model's answers differ on the {len(sample)}-row input example"
        return predict, f"onnxruntime (verified on the {len(sample)}-row input example)"

    def _compile_forest(self) -> tuple[Any, str] | None:
        """The batch driver's compiled forest, if the model is a tree ensemble it compiles and numba is here;
        its kernels are kept in ``cache_dir``, so a restarted worker loads them."""
        driver = runpy.run_path(str(Path(__file__).resolve().parent.parent / "batch" / "driver.py"))
        forests = driver["forest_module"](self._cache_dir)
        if forests is None:
            return None
        forest, reason = forests.compile_forest(self._estimator)
        if forest is None or sorted(forest.features) != sorted(self._names):
            return None
        order = [self._names.index(name) for name in forest.features]  # the signature's order to the model's
        reorder = order != sorted(order)
        forest.warm()

        def predict(matrix: Any) -> Any:
            return forest.predict(matrix[:, order] if reorder else matrix)

        return predict, f"compiled forest ({reason}; exactly scikit-learn's answers)"

    def score(self, bodies: list[bytes]) -> list[tuple[int, bytes]]:
        results: list[tuple[int, bytes] | None] = [None] * len(bodies)
        groups: dict[tuple[str, ...] | None, list[tuple[int, Table]]] = {}
        for index, body in enumerate(bodies):
            try:
                table = self._check(_parse_table(body))
                groups.setdefault(table.columns, []).append((index, table))
            except InputError as exc:
                results[index] = _error(exc.status, str(exc))
        for tables in groups.values():
            for index, result in self._predict(tables):
                results[index] = result
        return [result or _error(500, "no result") for result in results]

    def _predict(self, tables: list[tuple[int, Table]]) -> list[tuple[int, tuple[int, bytes]]]:
        columns = tables[0][1].columns
        rows = tables[0][1].rows if len(tables) == 1 else [row for _, table in tables for row in table.rows]
        try:
            predictions = _rows(self._call(rows, list(columns) if columns else None))
        except Exception as exc:
            if len(tables) > 1:  # one request's bad values must not fail the others
                return [pair for table in tables for pair in self._predict([table])]
            return [(tables[0][0], _error(400, f"{type(exc).__name__}: {exc}"))]
        answers, offset = [], 0
        for index, table in tables:
            part = predictions[offset : offset + len(table.rows)]
            offset += len(table.rows)
            answers.append((index, (200, json.dumps(part if table.azure else {"predictions": part}).encode())))
        return answers

    def _matrix(self, rows: list[list[Any]], columns: list[str] | None, dtype: Any) -> Any:
        """The rows as one matrix, its columns in the signature's order."""
        matrix = self._np.asarray(rows, dtype=dtype)
        if columns is not None and columns != self._names:
            matrix = matrix[:, [columns.index(name) for name in self._names]]
        return matrix

    def _frame(self, rows: list[list[Any]], columns: list[str] | None) -> Any:
        frame = self._pd.DataFrame(rows, columns=columns)
        return frame.astype({name: kind for name, kind in self._casts.items() if name in frame.columns})

    def _call(self, rows: list[list[Any]], columns: list[str] | None) -> Any:
        if self._compiled is not None:  # all-numeric: straight to a matrix, no DataFrame
            return self._compiled(self._matrix(rows, columns, self._np.float64))
        if self._estimator is not None and self._numeric:  # one float64 block, cast only where the signature says
            frame = self._pd.DataFrame(self._matrix(rows, columns, self._np.float64), columns=self._names, copy=False)
            casts = {name: kind for name, kind in self._casts.items() if kind != "float64"}
            return self._estimator.predict(frame.astype(casts) if casts else frame)
        frame = self._frame(rows, columns)
        if self._estimator is not None:
            return self._estimator.predict(frame[self._names])
        return self._model.predict(frame)

    def _check(self, table: Table) -> Table:
        """The signature's required columns are there, with values of their types (JSON numbers are
        cast to the signature's type later, as one frame: JSON does not tell 1 from 1.0)."""
        if not self._names:
            return table
        width = len(table.rows[0]) if table.rows else 0
        if table.columns is None:
            if width != len(self._names):
                raise InputError(f"each row needs {len(self._names)} values ({', '.join(self._names)}); got {width}")
            table.columns = tuple(self._names)
        present = set(table.columns)
        for name in self._needed:
            if name not in present:
                raise InputError(f"missing column {name!r} (the model needs it)")
        for position, name in enumerate(table.columns):
            kind = self._kinds.get(name)
            if kind in _NUMPY_TYPES:
                missing_allowed = name in self._optional and kind in ("double", "float")
                for row in table.rows:
                    value = row[position]
                    if value is None and missing_allowed:  # a missing value: NaN to the model
                        continue
                    if not isinstance(value, int | float) or isinstance(value, bool):
                        raise InputError(f"column {name!r} must be {kind}; got {value!r}", status=422)
                    if kind in ("long", "integer") and isinstance(value, float) and not value.is_integer():
                        raise InputError(f"column {name!r} must be {kind}; got {value!r}", status=422)
            elif kind == "string" and not all(isinstance(row[position], str) for row in table.rows):
                raise InputError(f"column {name!r} must be string", status=422)
        return table


def _parse_table(body: bytes) -> Table:
    """Azure ML's ``input_data``, or MLflow's ``dataframe_split``, ``dataframe_records`` or ``inputs``."""
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise InputError(f"the request body is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise InputError("the request body must be a JSON object with input_data, dataframe_split, ...")
    for key, azure in (("input_data", True), ("dataframe_split", False), ("inputs", False)):
        if key in document:
            return _split_table(document[key], azure)
    if "dataframe_records" in document:
        records = document["dataframe_records"]
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise InputError("dataframe_records must be a list of objects")
        columns = tuple(dict.fromkeys(name for record in records for name in record))
        return Table(columns, [[record.get(name) for name in columns] for record in records], False)
    raise InputError("the request needs one of: input_data, dataframe_split, dataframe_records, inputs")


def _split_table(value: Any, azure: bool) -> Table:
    if isinstance(value, dict) and "data" in value:
        columns = value.get("columns")
        table = Table(tuple(columns) if columns else None, value["data"], azure)
    elif isinstance(value, dict):  # {"column": [values...]}
        columns = tuple(value)
        table = Table(columns, [list(row) for row in zip(*value.values(), strict=True)], azure)
    elif isinstance(value, list):
        table = Table(None, value if value and isinstance(value[0], list) else [value], azure)
    else:
        raise InputError("input data must be an object with columns and data, or a list of rows")
    if not isinstance(table.rows, list) or not all(isinstance(row, list) for row in table.rows):
        raise InputError("data must be a list of rows, each a list of values")
    width = len(table.columns) if table.columns else len(table.rows[0]) if table.rows else 0
    if any(len(row) != width for row in table.rows):
        raise InputError(f"every row must have {width} values")
    if not table.rows:
        raise InputError("the request has no rows to score")
    return table


_DIRECT_FLAVORS = ("mlflow.sklearn", "mlflow.lightgbm", "mlflow.xgboost")


def _library(model: Any) -> str:
    return {"sklearn": "scikit-learn"}.get(type(model).__module__.split(".")[0], type(model).__module__.split(".")[0])


def _to_onnx(model: Any, features: Any, classifier: bool) -> Any:
    """ONNX for a scikit-learn (skl2onnx), LightGBM or XGBoost (onnxmltools) model of scikit-learn's API."""
    library = type(model).__module__.split(".")[0]
    if library == "sklearn":
        from skl2onnx import to_onnx

        return to_onnx(model, features[:1], options={id(model): {"zipmap": False}} if classifier else None)
    from onnxmltools import convert_lightgbm, convert_xgboost
    from onnxmltools.convert.common.data_types import FloatTensorType

    inputs = [("X", FloatTensorType([None, features.shape[1]]))]
    if library == "lightgbm":
        return convert_lightgbm(model, initial_types=inputs, **({"zipmap": False} if classifier else {}))
    if library == "xgboost":
        import copy

        unnamed = copy.deepcopy(model)  # its converter reads features only by position (f0, f1, ...)
        unnamed.get_booster().feature_names = None
        return convert_xgboost(unnamed, initial_types=inputs)
    raise ValueError(f"no ONNX converter for {library} models")


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
            if header.get("ping"):  # liveness: answered by the event loop, however busy the scoring threads are
                writer.write(encode_frame({"id": header["id"], "statuses": []}, []))
                continue
            task = asyncio.create_task(answer(header, bodies, writer))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    predictor = getattr(scorer, "predictor", "score.py")
    Path(socket_path + ".json").write_text(json.dumps({"predictor": predictor}))  # before the gateway can connect
    server = await asyncio.start_unix_server(connection, path=socket_path, limit=2**26)
    print(f"lakebox worker {os.getpid()} ready, predicting with {predictor}", file=sys.stderr, flush=True)
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
    parser.add_argument("--no-compile", action="store_true", help="serve the native model, never a compiled form")
    parser.add_argument("--cache-dir", type=Path, help="where compiled kernels are kept between worker starts")
    args = parser.parse_args(argv)
    sys.path.insert(0, os.getcwd())
    try:
        if args.mode == "script":
            scorer: ScriptScorer | MlflowScorer = ScriptScorer(Path(args.scoring_script))
        else:
            scorer = MlflowScorer(Path(args.model_dir), compile_model=not args.no_compile, cache_dir=args.cache_dir)
    except BaseException:
        traceback.print_exc()
        print("lakebox worker: the model failed to load (see the traceback above)", file=sys.stderr, flush=True)
        return EXIT_INIT_FAILED
    asyncio.run(serve(scorer, args.socket, args.threads))
    return 0


if __name__ == "__main__":
    sys.exit(main())
