"""The batch scoring driver: one batch endpoint invocation, run as a job in the deployment's environment.

It runs as a script (the environment need not have lakebox), so it imports the standard library and,
when scoring, pyarrow, pandas and the model's own libraries. The input is split into mini-batches
(``mini_batch_size`` files; a Parquet file of several row groups is cut into slices of whole row
groups, so one large file still keeps every process busy), scored by ``concurrency`` forked processes,
each retried on error or timeout, and the predictions written to one file (CSV or Parquet) or a Delta
table. A no-code MLflow model adds ``prediction`` to the input's columns; every row names its
``source_file`` and ``source_row``. A custom ``score.py`` gets ``init()`` once per process and
``run(mini_batch)`` per mini-batch (file paths, or a DataFrame for a table input) and returns one item
per input it scored. The summary (counts, failed inputs and why) is written to ``summary.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import hashlib
import importlib.util
import json
import multiprocessing
import multiprocessing.connection
import os
import pickle
import shutil
import sys
import time
import traceback
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SLICE_ROWS = 250_000
_FOREST_MODULE = "lakebox_batch_forest"
SUMMARY_FILE = "summary.json"
_TABLE_SUFFIXES = (".parquet", ".csv", ".tsv")


@dataclass
class Item:
    """One input: a file, or some row groups of a Parquet file (rows ``first_row`` on)."""

    file: str
    row_groups: list[int] | None = None
    first_row: int = 0
    rows: int | None = None


@dataclass
class MiniBatch:
    index: int
    items: list[Item]
    attempts: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class Options:
    input: Path
    output: Path
    logs: Path
    output_file_name: str
    output_action: str
    output_format: str
    mini_batch_size: int
    concurrency: int
    error_threshold: int
    max_retries: int
    timeout: float
    tabular: bool
    model_dir: Path | None
    scoring_script: Path | None
    cache_dir: Path | None = None


# Planning.


def plan(options: Options) -> list[MiniBatch]:
    """The input's mini-batches: ``mini_batch_size`` files each, Parquet files cut by row group."""
    files = _input_files(options.input)
    items: list[Item] = []
    for path in files:
        items.extend(_slices(path, options.input))
    if options.tabular or options.scoring_script is None:
        whole = [item for item in items if item.row_groups is None]
        sliced = [item for item in items if item.row_groups is not None]
        groups = [whole[i : i + options.mini_batch_size] for i in range(0, len(whole), options.mini_batch_size)]
        groups += [[item] for item in sliced]
    else:  # a custom run() takes files: Azure ML's mini_batch_size counts them
        paths = [Item(str(path.relative_to(_root(options.input)))) for path in files]
        groups = [paths[i : i + options.mini_batch_size] for i in range(0, len(paths), options.mini_batch_size)]
    return [MiniBatch(index, group) for index, group in enumerate(groups)]


def _root(path: Path) -> Path:
    return path if path.is_dir() else path.parent


def _input_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(
        p for p in path.rglob("*") if p.is_file() and not any(part.startswith((".", "_")) for part in p.parts[-1:])
    )


def _slices(path: Path, root: Path) -> list[Item]:
    name = str(path.relative_to(_root(root)))
    if path.suffix.lower() != ".parquet":
        return [Item(name)]
    import pyarrow.parquet as pq

    metadata = pq.ParquetFile(path).metadata
    if metadata.num_row_groups <= 1:
        return [Item(name)]
    items, groups, first, rows = [], [], 0, 0
    for group in range(metadata.num_row_groups):
        groups.append(group)
        rows += metadata.row_group(group).num_rows
        if rows >= SLICE_ROWS or group == metadata.num_row_groups - 1:
            items.append(Item(name, groups, first, rows))
            groups, first, rows = [], first + rows, 0
    return items


# Scoring.


class MlflowScorer:
    """A no-code MLflow model. A scikit-learn model MLflow pickled is unpickled as MLflow's own loader
    does (without importing MLflow) and called with the columns it was fitted on. A tree ensemble among
    them is compiled (:mod:`forest`, beside this file) and kept in ``cache_dir`` by the pickle's digest,
    so a later job loads it without scikit-learn. Anything else goes through ``mlflow.pyfunc``."""

    def __init__(self, model_dir: Path, cache_dir: Path | None = None) -> None:
        self.model: Any = None
        self.forest: Any = None
        self.columns: list[str] | None = None
        pickled = _sklearn_pickle(model_dir)
        if pickled is None:
            self._load_pyfunc(model_dir)
            return
        forests = forest_module(cache_dir)
        cached = _cache_file(cache_dir, pickled[0], forests)
        if cached is not None and cached.exists():
            self.forest, self.predictor = _load_cached(forests, cached), "from the cache"
        if self.forest is None:
            self.model = _unpickle(*pickled)
            self.forest, self.predictor = forests.compile_forest(self.model) if forests else (None, "no numba")
            if self.forest is not None and cached is not None:
                self.forest.save(cached)
        if self.forest is not None:
            self.columns = list(self.forest.features)
            self.predictor = f"{self.forest.kind} (scikit-learn), compiled: {self.predictor}"
            with _scipy_blas_hidden():
                self.forest.warm()  # before the scoring processes fork, so they inherit the compiled kernels
        elif hasattr(self.model, "feature_names_in_"):
            self.columns = [str(name) for name in self.model.feature_names_in_]
            self.predictor = f"{type(self.model).__name__} (scikit-learn, direct; not compiled: {self.predictor})"
        else:
            self._load_pyfunc(model_dir)

    def _load_pyfunc(self, model_dir: Path) -> None:
        import mlflow.pyfunc

        self.model = mlflow.pyfunc.load_model(str(model_dir))
        self.predictor = "mlflow pyfunc"

    def score(self, batch: MiniBatch, options: Options, part: Path) -> int:
        import pyarrow as pa

        tables = [_read(item, options.input) for item in batch.items]
        table = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
        if self.columns is not None:
            missing = [name for name in self.columns if name not in table.column_names]
            if missing:
                raise ValueError(f"the input has no column {', '.join(map(repr, missing))} (the model needs it)")
        if self.forest is not None:
            predictions = self.forest.predict(_float32_matrix(table, self.columns or []))
        elif self.columns is not None:
            predictions = self.model.predict(table.to_pandas()[self.columns])
        else:
            predictions = self.model.predict(table.to_pandas())
        table = _with_predictions(table, predictions)
        _write_part(table, part, options.output_format)
        return int(table.num_rows)


def _float32_matrix(table: Any, columns: list[str]) -> Any:
    """The columns as one float32 matrix, converted as scikit-learn converts a DataFrame (by way of float64)."""
    import numpy as np

    matrix = np.empty((table.num_rows, len(columns)), dtype=np.float32)
    for position, name in enumerate(columns):
        values = table.column(name).to_numpy()
        try:
            with np.errstate(over="ignore"):  # past float32's range: inf, which the forest refuses as scikit-learn does
                matrix[:, position] = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"column {name!r} must be numbers for the model: {exc}") from None
    return matrix


def _load_cached(forests: Any, cached: Path) -> Any:
    """The compiled forest kept at ``cached``; None if it cannot be read (it is then compiled again)."""
    try:
        return forests.CompiledForest.load(cached)
    except (OSError, ValueError, KeyError) as exc:
        print(f"lakebox batch: the cached compiled model {cached.name} is unreadable ({exc})", file=sys.stderr)
        return None


def _cache_file(cache_dir: Path | None, pickled: Path, forests: Any) -> Path | None:
    """Where the model's compiled forest is kept: by the digest of its pickle, so any copy of it hits."""
    if cache_dir is None or forests is None:
        return None
    digest = hashlib.sha256(pickled.read_bytes()).hexdigest()
    return cache_dir / f"{digest}.v{forests.FORMAT_VERSION}.npz"


def forest_module(cache_dir: Path | None) -> Any:
    """:mod:`lakebox.batch.forest`, loaded from beside this file (this runs as a script, not from the
    package; the serving worker loads it through here too); None where numba is not installed.

    Its kernels are cached apart from the package's own, since numba's cache names the module and here
    it has another name: in ``cache_dir``, or without one in the user's own cache folder. Never in a shared
    temporary folder: numba's cache is code that gets loaded, and anyone could write there.
    """
    if (loaded := sys.modules.get(_FOREST_MODULE)) is not None:
        return loaded
    user_cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lakebox"
    directory = str((cache_dir or user_cache) / "numba")
    os.environ["NUMBA_CACHE_DIR"] = directory  # read as numba is imported, and again as it compiles
    try:
        import numba
    except ImportError:
        return None
    numba.config.CACHE_DIR = directory  # type: ignore[attr-defined]  # if it was imported before
    return _load_module(_FOREST_MODULE, Path(__file__).with_name("forest.py"))  # its kernels find that directory


@contextlib.contextmanager
def _scipy_blas_hidden() -> Iterator[None]:
    """numba looks for scipy's BLAS the first time it loads a kernel, and so imports scipy.linalg: 0.22 s, a
    tenth of a 2-million-row job. The forest's kernels call no BLAS, so where scipy's is not loaded yet it
    is hidden while they load (numba then leaves out only its own BLAS-backed functions, unused here)."""
    name = "scipy.linalg.cython_blas"
    if name in sys.modules:
        yield
        return
    sys.modules[name] = None  # type: ignore[assignment]  # an import of it raises ImportError
    try:
        yield
    finally:
        if name in sys.modules and sys.modules[name] is None:
            del sys.modules[name]


def _load_module(name: str, path: Path) -> Any:
    """The Python file at ``path``, run as module ``name`` (registered, so its dataclasses resolve)."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


class ScriptScorer:
    """Azure ML's batch contract: ``init()`` once per process, ``run(mini_batch)`` per mini-batch."""

    def __init__(self, script: Path) -> None:
        self.module = _load_module("batch_score", script)
        for name in ("init", "run"):
            if not callable(getattr(self.module, name, None)):
                raise AttributeError(f"{script.name} must define {name}()")
        self.predictor = script.name
        self.initialized = False

    def score(self, batch: MiniBatch, options: Options, part: Path) -> int:
        import pandas as pd
        import pyarrow as pa

        if not self.initialized:
            self.module.init()
            self.initialized = True
        if options.tabular:
            tables = [_read(item, options.input) for item in batch.items]
            argument: Any = pa.concat_tables(tables).to_pandas()
            expected = len(argument)
        else:
            argument = [str(_root(options.input) / item.file) for item in batch.items]
            expected = len(argument)
        result = self.module.run(argument)
        if isinstance(result, pd.DataFrame):
            table = pa.Table.from_pandas(result, preserve_index=False)
            count = int(table.num_rows)
        elif isinstance(result, list | tuple):
            count = len(result)
        else:
            raise TypeError(f"run() must return a pandas DataFrame or a list; it returned {type(result).__name__}")
        if count > expected:
            raise ValueError(f"run() returned {count} items for {expected} inputs (one per input at most)")
        if options.output_action == "summary_only":
            return count
        if isinstance(result, pd.DataFrame):
            _write_part(table, part, options.output_format)
        else:  # as Azure ML writes a list: one line per item
            lines = [item if isinstance(item, str) else json.dumps(item, default=str) for item in result]
            part.with_suffix(".lines").write_text("".join(f"{line}\n" for line in lines))
        return count


def _sklearn_pickle(model_dir: Path) -> tuple[Path, str] | None:
    """The file and format of the model, when it is a scikit-learn model MLflow pickled; ``None`` otherwise."""
    import yaml

    metadata = yaml.safe_load((model_dir / "MLmodel").read_text())
    flavor = (metadata.get("flavors") or {}).get("sklearn")
    if not flavor or flavor.get("serialization_format") not in ("pickle", "cloudpickle"):
        return None
    return model_dir / flavor["pickled_model"], flavor["serialization_format"]


def _unpickle(path: Path, serialization_format: str) -> Any:
    with open(path, "rb") as handle:
        if serialization_format == "cloudpickle":
            import cloudpickle

            return cloudpickle.load(handle)
        return pickle.load(handle)


def _read(item: Item, input_path: Path) -> Any:
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    path = _root(input_path) / item.file
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        file = pq.ParquetFile(path)
        table = file.read_row_groups(item.row_groups) if item.row_groups is not None else file.read()
    elif suffix in (".csv", ".tsv"):
        options = pacsv.ParseOptions(  # type: ignore[attr-defined]
            delimiter="\t" if suffix == ".tsv" else ","
        )
        table = pacsv.read_csv(path, parse_options=options)  # type: ignore[attr-defined]
    else:
        raise ValueError(f"{item.file}: only Parquet and CSV files are read as tables (give a score.py for others)")
    rows = pa.array(np.arange(item.first_row, item.first_row + table.num_rows, dtype=np.int64))
    return table.append_column("source_file", pa.repeat(pa.scalar(item.file), table.num_rows)).append_column(
        "source_row", rows
    )


def _with_predictions(table: Any, predictions: Any) -> Any:
    import pyarrow as pa

    if hasattr(predictions, "columns"):  # a DataFrame (pandas is not imported for a compiled model's array)
        for name in predictions.columns:
            table = table.append_column(f"prediction_{name}", pa.array(predictions[name].to_numpy()))
        return table
    values = predictions.to_numpy() if hasattr(predictions, "to_numpy") else predictions
    if getattr(values, "ndim", 1) > 1:
        values = values.tolist()
    column = pa.array(values)
    position = table.schema.get_field_index("source_file")
    return table.add_column(position, "prediction", column)


def _write_part(table: Any, part: Path, part_format: str) -> None:
    """A scoring process's part: CSV, or Arrow IPC (no encoding; the Parquet or Delta output is encoded
    once, when the parts are joined)."""
    if part_format == "csv":
        import pyarrow.csv as pacsv

        pacsv.write_csv(table, part)  # type: ignore[attr-defined]
    else:
        import pyarrow as pa

        with pa.ipc.new_file(str(part), table.schema) as writer:
            writer.write_table(table)


def _read_parts(parts: Path) -> Any:
    """The table parts as one table: Arrow IPC from the scoring processes, or Parquet from Spark."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = sorted([*parts.glob("part-*.arrow"), *parts.glob("part-*.parquet")])
    tables = [
        pa.ipc.open_file(pa.memory_map(str(part))).read_all() if part.suffix == ".arrow" else pq.read_table(part)
        for part in files
    ]
    return pa.concat_tables(tables, promote_options="default")


# Running mini-batches in forked processes, with retries and timeouts.

_SCORER: Any = None


def _serve(connection: multiprocessing.connection.Connection, options: Options, parts: Path) -> None:
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"
    while True:
        batch = connection.recv()
        if batch is None:
            return
        started = time.perf_counter()
        try:
            part = parts / f"part-{batch.index:06d}.{options.output_format}"
            rows = _SCORER.score(batch, options, part)
            connection.send(("ok", rows, time.perf_counter() - started))
        except BaseException as exc:
            traceback.print_exc()
            connection.send(("error", f"{type(exc).__name__}: {exc}", time.perf_counter() - started))


class _Process:
    def __init__(self, context: Any, options: Options, parts: Path) -> None:
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, options, parts), daemon=True)
        self.process.start()
        child.close()
        self.batch: MiniBatch | None = None
        self.timeout = options.timeout
        self.deadline = 0.0


@dataclass
class Summary:
    mini_batches: int = 0
    succeeded: int = 0
    failed: int = 0
    inputs: int = 0
    failed_inputs: int = 0
    rows_scored: int = 0
    seconds: float = 0.0
    predictor: str = ""
    output: str = ""
    failures: list[dict[str, Any]] = field(default_factory=list)
    status: str = "Completed"
    reason: str = ""


def run_all(batches: list[MiniBatch], options: Options, parts: Path, summary: Summary) -> None:
    """Score every mini-batch; stop early once failed inputs pass the error threshold."""
    context = multiprocessing.get_context("fork")
    pending = list(reversed(batches))
    workers = [_Process(context, options, parts) for _ in range(max(1, min(options.concurrency, len(batches))))]
    try:
        while pending or any(w.batch is not None for w in workers):
            for worker in workers:
                if worker.batch is None and pending:
                    worker.batch = pending.pop()
                    worker.batch.attempts += 1
                    worker.deadline = time.monotonic() + options.timeout
                    worker.connection.send(worker.batch)
            busy = [w for w in workers if w.batch is not None]
            wait = max(0.0, min(w.deadline for w in busy) - time.monotonic())
            ready = multiprocessing.connection.wait([w.connection for w in busy], timeout=wait)
            for worker in busy:
                outcome = _collect(worker, ready)
                if outcome is None:
                    continue
                batch, error, rows = outcome
                if worker.batch is None and not worker.process.is_alive():
                    workers[workers.index(worker)] = _Process(context, options, parts)
                if error is None:
                    summary.succeeded += 1
                    summary.rows_scored += rows
                    summary.failed_inputs += max(0, _expected(batch, options) - rows) if options.scoring_script else 0
                    continue
                batch.errors.append(error)
                if batch.attempts <= options.max_retries:
                    print(f"mini-batch {batch.index}: {error}; retrying", file=sys.stderr, flush=True)
                    pending.append(batch)
                    continue
                summary.failed += 1
                summary.failed_inputs += len(batch.items)
                summary.failures.append(
                    {"mini_batch": batch.index, "inputs": [_describe(i) for i in batch.items], "errors": batch.errors}
                )
                if 0 <= options.error_threshold < summary.failed_inputs:
                    summary.status = "Failed"
                    summary.reason = (
                        f"{summary.failed_inputs} inputs failed, more than error_threshold {options.error_threshold}"
                    )
                    return
    finally:
        for worker in workers:
            if worker.process.is_alive():
                worker.process.kill()


def _collect(worker: _Process, ready: list[Any]) -> tuple[MiniBatch, str | None, int] | None:
    """The worker's answer if it has one, or a timeout or a crash; ``None`` while it is still working."""
    batch = worker.batch
    assert batch is not None
    if worker.connection in ready:
        try:
            kind, value, _seconds = worker.connection.recv()
        except (EOFError, OSError):
            kind, value = "error", f"the scoring process died (exit code {worker.process.exitcode})"
            worker.process.join(1)
        worker.batch = None
        return (batch, None, value) if kind == "ok" else (batch, str(value), 0)
    if time.monotonic() >= worker.deadline:
        worker.process.kill()
        worker.process.join(5)
        worker.batch = None
        return batch, f"timed out after {worker.timeout:g} s (retry_settings.timeout)", 0
    return None


def _expected(batch: MiniBatch, options: Options) -> int:
    if options.tabular:
        return sum(item.rows or 0 for item in batch.items)
    return len(batch.items)


def _describe(item: Item) -> str:
    if item.row_groups is None:
        return item.file
    return f"{item.file} rows {item.first_row}-{item.first_row + (item.rows or 0) - 1}"


# Output.


def combine(parts: Path, options: Options) -> Path:
    """The parts as one CSV (its header once; a ``run()`` that returned a list gives plain lines) or
    Parquet file."""
    target = options.output / options.output_file_name
    if options.output_format == "csv":
        files = sorted([*parts.glob("part-*.csv"), *parts.glob("part-*.lines")])
        header_written = False
        with open(target, "wb", buffering=0) as out:
            for part in files:
                with open(part, "rb") as handle:
                    header = handle.readline() if part.suffix == ".csv" else b""
                    if header and not header_written:
                        out.write(header)
                        header_written = True
                    _append(handle, out, len(header))
    else:
        import pyarrow.parquet as pq

        pq.write_table(_read_parts(parts), target)
    return target


def _append(source: Any, target: Any, offset: int) -> None:
    """Append ``source`` from ``offset`` on to ``target``, copied by the kernel where it can be (5x faster)."""
    size = os.fstat(source.fileno()).st_size
    try:
        while offset < size and (copied := os.copy_file_range(source.fileno(), target.fileno(), size - offset, offset)):
            offset += copied
    except OSError:  # a file system that cannot: copy through this process
        source.seek(offset)
        shutil.copyfileobj(source, target, 1 << 22)


def add_io_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments every batch scoring job takes: where the input is and where its output goes."""
    parser.add_argument("--input", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--logs", type=Path, default=Path(os.environ.get("LAKEBOX_LOGS_DIR", ".")))
    parser.add_argument("--output-file-name", default="predictions.csv")
    parser.add_argument("--output-format", choices=("csv", "parquet", "delta"), default="csv")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lakebox-batch")
    add_io_arguments(parser)
    parser.add_argument("--model-dir", type=Path)
    parser.add_argument("--scoring-script", type=Path)
    parser.add_argument("--cache-dir", type=Path, help="where compiled models are kept between jobs")
    parser.add_argument("--output-action", choices=("append_row", "summary_only"), default="append_row")
    parser.add_argument("--mini-batch-size", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--error-threshold", type=int, default=-1)
    parser.add_argument("--max-retries", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--tabular", action="store_true")
    options = Options(**vars(parser.parse_args(argv)))
    try:
        return run(options)
    except Exception as exc:
        traceback.print_exc()
        report_failure(f"batch scoring could not start: {type(exc).__name__}: {exc}")
        return 1


def report_failure(reason: str) -> None:
    """Tell the job runner why the job failed (it shows this in place of an exit code)."""
    print(f"lakebox batch: failed: {reason}", file=sys.stderr, flush=True)
    if file := os.environ.get("LAKEBOX_FAILURE_FILE"):
        Path(file).write_text(reason)


def _failure_text(summary: Summary) -> str:
    shown = [
        f"mini-batch {failure['mini_batch']} ({', '.join(failure['inputs'][:3])}"
        f"{', ...' if len(failure['inputs']) > 3 else ''}): {failure['errors'][-1]}"
        for failure in summary.failures[:5]
    ]
    more = f"; and {len(summary.failures) - 5} more mini-batches" if len(summary.failures) > 5 else ""
    return summary.reason + (f". Failed: {'; '.join(shown)}{more}" if shown else "")


def run(options: Options) -> int:
    global _SCORER
    started = time.perf_counter()
    summary = Summary()
    options.logs.mkdir(parents=True, exist_ok=True)
    options.output.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, os.getcwd())
    if options.scoring_script is not None:
        _SCORER = ScriptScorer(options.scoring_script)
    else:
        assert options.model_dir is not None
        _SCORER = MlflowScorer(options.model_dir, options.cache_dir)
    summary.predictor = _SCORER.predictor
    batches = plan(options)
    summary.mini_batches, summary.inputs = len(batches), sum(_expected(b, options) for b in batches)
    print(
        f"lakebox batch: {summary.inputs} inputs in {len(batches)} mini-batches, {options.concurrency} processes, "
        f"predicting with {summary.predictor}",
        file=sys.stderr,
        flush=True,
    )
    parts = options.output / ".lakebox-parts"
    parts.mkdir(parents=True, exist_ok=True)
    part_format = "csv" if options.output_format == "csv" else "arrow"
    run_all(batches, Options(**(asdict(options) | {"output_format": part_format})), parts, summary)
    if summary.status == "Completed" and summary.rows_scored == 0:
        summary.status, summary.reason = "Failed", "no input was scored"
    if summary.status == "Completed" and options.output_action == "append_row":
        summary.output = str(_finish(parts, options))
    shutil.rmtree(parts, ignore_errors=True)
    summary.seconds = round(time.perf_counter() - started, 3)
    (options.logs / SUMMARY_FILE).write_text(json.dumps(asdict(summary), indent=2))
    print(f"lakebox batch: {json.dumps(asdict(summary))}", file=sys.stderr, flush=True)
    if summary.status != "Completed":
        report_failure(_failure_text(summary))
        return 1
    return 0


def _finish(parts: Path, options: Options) -> Path:
    if options.output_format != "delta":
        return combine(parts, options)
    from deltalake import write_deltalake

    table_path = options.output / Path(options.output_file_name).stem
    write_deltalake(str(table_path), _read_parts(parts), mode="append")
    return table_path


if __name__ == "__main__":
    exit_code = main()
    gc.freeze()  # else the interpreter's last collections walk numba's many objects: 0.16 s at every job's end
    sys.exit(exit_code)
