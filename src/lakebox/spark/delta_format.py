"""Spark's ``delta`` format without delta-spark's jars: Spark's own Parquet engine moves the data,
delta-rs keeps the log.

``df.write.format("delta").save(path)`` writes Parquet files natively into a staging folder of the
table, moves them into the table and commits them as one Delta transaction; if Spark or the
commit fails, the files are removed and the table stays at its version.
``spark.read.format("delta").load(path)`` asks delta-rs which files make up the version wanted
(``versionAsOf``, ``timestampAsOf``) and reads exactly those natively. Paths may be lake URIs.

Spark's JVM has no Delta source here, so ``install()`` teaches the Python ``DataFrameReader`` and
``DataFrameWriter`` the format: they remember format, mode and options as they are set, and
handle ``save``/``load`` themselves for ``delta``. Every other format goes to Spark untouched.
Spark Connect sessions (``sc://``) work the same way as long as the Connect server and this
process see the same folders. Partitioned writes (``partitionBy``) are not supported on this path.
"""

from __future__ import annotations

import functools
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
from pyspark.sql import DataFrame, DataFrameReader, DataFrameWriter
from pyspark.sql.connect.dataframe import DataFrame as ConnectDataFrame
from pyspark.sql.connect.readwriter import DataFrameReader as ConnectReader
from pyspark.sql.connect.readwriter import DataFrameWriter as ConnectWriter
from pyspark.sql.pandas.types import from_arrow_schema

from lakebox.errors import BadRequestError, ValidationError
from lakebox.lake import delta
from lakebox.spark.lake_env import resolver

DELTA = "delta"
_STATE = "_lakebox_state"
_STAGING_PREFIX = "_lakebox_staging_"


def _state(target: DataFrameReader | DataFrameWriter) -> dict[str, Any]:
    state: dict[str, Any] = target.__dict__.setdefault(_STATE, {"format": None, "mode": None, "options": {}})
    return state


def install() -> None:
    """Teach this process's DataFrameReader and DataFrameWriter, classic and Spark Connect, the
    ``delta`` format (once)."""
    if getattr(DataFrameWriter, _STATE, False):
        return
    for reader, writer in ((DataFrameReader, DataFrameWriter), (ConnectReader, ConnectWriter)):
        for cls in (reader, writer):
            _record(cls, "format", lambda state, source: state.update(format=source.lower()))
            _record(cls, "option", lambda state, key, value: state["options"].update({key: str(value)}))
            _record(cls, "options", lambda state, **options: state["options"].update(options))
        _record(writer, "mode", lambda state, mode: state.update(mode=mode))
        _route(writer, "save", _save)
        _route(reader, "load", _load)
    setattr(DataFrameWriter, _STATE, True)


def _record(cls: type, name: str, remember: Callable[..., None]) -> None:
    original = getattr(cls, name)

    @functools.wraps(original)
    def recording(self: Any, *args: Any, **kwargs: Any) -> Any:
        remember(_state(self), *args, **kwargs)
        return original(self, *args, **kwargs)

    setattr(cls, name, recording)


def _route(cls: type, name: str, handler: Callable[..., Any]) -> None:
    original = getattr(cls, name)

    @functools.wraps(original)
    def routed(self: Any, path: Any = None, format: str | None = None, *args: Any, **kwargs: Any) -> Any:
        state = _state(self)
        if (format or state["format"] or "").lower() == DELTA:
            return handler(self, path, state, *args, **kwargs)
        return original(self, path, format, *args, **kwargs)

    setattr(cls, name, routed)


def _save(
    writer: DataFrameWriter,
    path: str | None,
    state: dict[str, Any],
    mode: str | None = None,
    partitionBy: Any = None,
    **options: Any,
) -> None:
    if partitionBy:
        raise BadRequestError("partitionBy is not supported for delta tables written without delta-spark")
    if path is None:
        raise BadRequestError("the delta format needs a path: .save(path)")
    mode = (mode or state["mode"] or "errorifexists").lower()
    table = resolver().local_path(path)
    exists = delta.is_delta_table(table)
    if exists and mode in ("error", "errorifexists"):
        raise BadRequestError(f"Delta table {path} exists; write with mode('append') or mode('overwrite')")
    if exists and mode == "ignore":
        return
    if mode not in ("append", "overwrite", "error", "errorifexists", "ignore"):
        raise ValidationError(f"unknown save mode {mode!r}")
    write_table(_dataframe(writer), table, "overwrite" if mode == "overwrite" else "append")


def _dataframe(writer: DataFrameWriter | ConnectWriter) -> DataFrame:
    """The DataFrame being written (a Spark Connect writer holds only its plan)."""
    if isinstance(writer, ConnectWriter):
        return ConnectDataFrame(writer._df, writer._spark)
    return writer._df


def write_table(df: DataFrame, table: Path, mode: str) -> int:
    """Write ``df`` as Parquet files of ``table`` with Spark, then commit them; returns the new version."""
    staging = table / f"{_STAGING_PREFIX}{uuid.uuid4().hex}"
    moved: list[Path] = []
    try:
        df.write.mode("overwrite").option("compression", "snappy").parquet(str(staging))
        for file in sorted(staging.glob("part-*.parquet")):
            moved.append(file.rename(table / file.name))
        return delta.commit_files(table, moved, "overwrite" if mode == "overwrite" else "append")
    except BaseException:
        for file in moved:
            file.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _load(reader: DataFrameReader, path: Any, state: dict[str, Any], schema: Any = None, **options: Any) -> DataFrame:
    if not isinstance(path, str):
        raise BadRequestError("the delta format reads one table: .load(path)")
    options = {**state["options"], **{k: str(v) for k, v in options.items()}}
    version = options.get("versionAsOf")
    table = delta.open_table(
        resolver().local_path(path), int(version) if version is not None else None, options.get("timestampAsOf")
    )
    spark_schema = from_arrow_schema(pa.schema(table.schema().to_arrow()))
    files = [uri.removeprefix("file://") for uri in table.file_uris()]
    spark = reader._client if isinstance(reader, ConnectReader) else reader._spark
    if not files:
        return spark.createDataFrame([], spark_schema)
    return spark.read.schema(spark_schema).parquet(*files)
