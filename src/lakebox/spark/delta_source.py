"""Spark's ``delta`` format as a Python data source over delta-rs (when delta-spark's jars are absent).

Reads plan one partition per data file of the version asked for (``versionAsOf`` /
``timestampAsOf``) and stream Arrow batches. Writes are Arrow writers: each task writes Parquet
files into the table folder and reports them; the driver commits them all as one Delta
transaction through delta-rs, so a failed job adds no version, and ``abort`` removes the files.
Paths may be lake URIs (``abfss://``, ``azureml://``); the tables are ordinary Delta tables.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pyspark.sql.datasource import (
    DataSource,
    DataSourceArrowWriter,
    DataSourceReader,
    InputPartition,
    WriterCommitMessage,
)
from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema
from pyspark.sql.types import StructType

from lakebox.errors import BadRequestError
from lakebox.spark.lake_env import resolver


def _table_path(options: dict[str, str]) -> Path:
    path = options.get("path")
    if not path:
        raise BadRequestError("the delta format needs a path: .load(path) or .save(path)")
    return resolver().local_path(path)


class DeltaDataSource(DataSource):
    @classmethod
    def name(cls) -> str:
        return "delta"

    def schema(self) -> StructType:
        from lakebox.lake import delta

        table = delta.open_table(_table_path(self.options), *_time_travel(self.options))
        return from_arrow_schema(pa.schema(table.schema().to_arrow()))

    def reader(self, schema: StructType) -> DataSourceReader:
        return DeltaReader(_table_path(self.options), _time_travel(self.options))

    def writer(self, schema: StructType, overwrite: bool) -> DeltaWriter:
        return DeltaWriter(_table_path(self.options), schema, overwrite)


def _time_travel(options: dict[str, str]) -> tuple[int | None, str | None]:
    version = options.get("versionAsOf")
    return (int(version) if version is not None else None), options.get("timestampAsOf")


class DeltaReader(DataSourceReader):
    def __init__(self, path: Path, at: tuple[int | None, str | None]) -> None:
        self.path, self.at = path, at

    def partitions(self) -> list[InputPartition]:
        from lakebox.lake import delta

        files = delta.open_table(self.path, *self.at).file_uris()
        return [InputPartition(uri) for uri in files] or [InputPartition(None)]

    def read(self, partition: InputPartition) -> Iterator[pa.RecordBatch]:
        if partition.value is None:
            return
        yield from pq.ParquetFile(partition.value.removeprefix("file://")).iter_batches()


@dataclass
class WrittenFiles(WriterCommitMessage):
    """What one task wrote: relative paths with size, row count and column statistics."""

    files: list[dict[str, Any]] = field(default_factory=list)


class DeltaWriter(DataSourceArrowWriter):
    def __init__(self, path: Path, schema: StructType, overwrite: bool) -> None:
        self.path, self.spark_schema, self.overwrite = path, schema, overwrite

    def write(self, iterator: Iterator[pa.RecordBatch]) -> WrittenFiles:
        self.path.mkdir(parents=True, exist_ok=True)
        written = WrittenFiles()
        batches = list(iterator)
        if batches:
            table = pa.Table.from_batches(batches)
            relative = f"part-{uuid.uuid4()}-c000.snappy.parquet"
            pq.write_table(table, self.path / relative, compression="snappy")
            written.files.append(
                {"path": relative, "size": (self.path / relative).stat().st_size, "stats": _stats(table)}
            )
        return written

    def commit(self, messages: list[WriterCommitMessage | None]) -> None:
        from deltalake import DeltaTable
        from deltalake.transaction import AddAction, RemoveAction, create_table_with_add_actions

        from lakebox.lake import delta

        now = int(time.time() * 1000)
        adds: list[AddAction | RemoveAction] = [
            AddAction(f["path"], f["size"], {}, now, True, f["stats"])
            for message in messages
            if isinstance(message, WrittenFiles)
            for f in message.files
        ]
        schema = to_arrow_schema(self.spark_schema)
        mode: Literal["overwrite", "append"] = "overwrite" if self.overwrite else "append"
        if delta.is_delta_table(self.path):
            DeltaTable(str(self.path)).create_write_transaction(adds, mode, schema)
        else:
            from deltalake import Schema

            new_files = [add for add in adds if isinstance(add, AddAction)]
            create_table_with_add_actions(str(self.path), Schema.from_arrow(schema), new_files, mode=mode)

    def abort(self, messages: list[WriterCommitMessage | None]) -> None:
        for message in messages:
            if isinstance(message, WrittenFiles):
                for f in message.files:
                    (self.path / f["path"]).unlink(missing_ok=True)


def _stats(table: pa.Table) -> str:
    """Delta's per-file statistics: row count, and min, max and null count of flat columns."""
    minimums, maximums, nulls = {}, {}, {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        kind = column.type
        if pa.types.is_nested(kind):
            continue
        nulls[name] = column.null_count
        if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_string(kind):
            bounds = pc.min_max(column)  # type: ignore[attr-defined]
            low, high = bounds["min"].as_py(), bounds["max"].as_py()
            if low is not None and low == low and high == high:  # no bounds for all-null or NaN columns
                minimums[name], maximums[name] = low, high
    return json.dumps({"numRecords": table.num_rows, "minValues": minimums, "maxValues": maximums, "nullCount": nulls})
