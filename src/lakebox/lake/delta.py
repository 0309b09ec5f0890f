"""Delta tables on the lake, through delta-rs: read (with time travel), write, merge and history.

Every engine in lakebox reads and writes the same tables: these functions, Spark's ``delta``
format (see ``lakebox.spark``) and job inputs, which see a clean snapshot of one version. A write
is one Delta commit: if it fails, the table stays at its previous version.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq
from deltalake import DeltaTable, Schema, write_deltalake
from deltalake.exceptions import DeltaError, SchemaMismatchError, TableNotFoundError
from deltalake.transaction import AddAction, RemoveAction, create_table_with_add_actions

from lakebox.errors import BadRequestError, NotFoundError, ValidationError
from lakebox.lake.arrow import as_arrow_table

DELTA_LOG = "_delta_log"
WriteMode = Literal["append", "overwrite", "error", "ignore"]


def is_delta_table(path: str | Path) -> bool:
    return (Path(path) / DELTA_LOG).is_dir()


def open_table(path: str | Path, version: int | None = None, timestamp: datetime | str | None = None) -> DeltaTable:
    """The table at ``path`` (a local folder), at its latest version, a ``version`` or a ``timestamp``."""
    if not is_delta_table(path):
        reason = "does not exist" if not Path(path).exists() else f"is not a Delta table (no {DELTA_LOG} folder)"
        raise NotFoundError(f"{path} {reason}")
    try:
        table = DeltaTable(str(path), version=version)
        if timestamp is not None:
            table.load_as_version(timestamp)
    except TableNotFoundError as exc:
        raise NotFoundError(f"{path} is not a Delta table: {exc}") from exc
    except DeltaError as exc:
        wanted = f"version {version}" if version is not None else f"timestamp {timestamp}"
        raise NotFoundError(f"{path} has no {wanted}: {exc}") from exc
    return table


def read_table(
    path: str | Path,
    *,
    version: int | None = None,
    timestamp: datetime | str | None = None,
    columns: Sequence[str] | None = None,
) -> pa.Table:
    """The table's rows as Arrow (``.to_pandas()`` for a DataFrame)."""
    table = open_table(path, version, timestamp)
    return table.to_pyarrow_table(columns=list(columns) if columns is not None else None)


def write_table(
    path: str | Path,
    data: Any,
    *,
    mode: WriteMode = "error",
    partition_by: Sequence[str] | None = None,
    schema_mode: Literal["merge", "overwrite"] | None = None,
) -> int:
    """Write Arrow or pandas data as one commit; returns the new version.

    ``append`` must match the table's schema unless ``schema_mode="merge"`` adds the new columns;
    ``overwrite`` replaces the rows (and with ``schema_mode="overwrite"`` the schema).
    """
    Path(path).mkdir(parents=True, exist_ok=True)
    try:
        write_deltalake(
            str(path),
            as_arrow_table(data),
            mode=mode,
            partition_by=list(partition_by) if partition_by else None,
            schema_mode=schema_mode,
        )
    except SchemaMismatchError as exc:
        raise ValidationError(
            f"the data does not match the schema of Delta table {path}: {exc} "
            "(write with schema_mode='merge' to add columns, or mode='overwrite' with schema_mode='overwrite')"
        ) from exc
    except DeltaError as exc:
        if "already exists" in str(exc):
            raise BadRequestError(f"Delta table {path} exists; write with mode='append' or 'overwrite'") from exc
        raise
    return open_table(path).version()


def merge_table(
    path: str | Path,
    data: Any,
    on: Sequence[str],
    *,
    update: bool = True,
    insert: bool = True,
    delete_missing: bool = False,
) -> dict[str, Any]:
    """Upsert ``data`` into the table by the key columns ``on``; returns delta-rs's merge metrics.

    Matching rows are updated (``update``), new keys inserted (``insert``), and with
    ``delete_missing`` target rows whose key is absent from ``data`` are deleted.
    """
    if not on:
        raise BadRequestError("a merge needs at least one key column in 'on'")
    source = as_arrow_table(data)
    missing = [key for key in on if key not in source.column_names]
    if missing:
        raise ValidationError(f"merge keys {missing} are not columns of the data ({source.column_names})")
    predicate = " AND ".join(f"target.`{key}` = source.`{key}`" for key in on)
    merger = open_table(path).merge(source, predicate=predicate, source_alias="source", target_alias="target")
    if update:
        merger = merger.when_matched_update_all()
    if insert:
        merger = merger.when_not_matched_insert_all()
    if delete_missing:
        merger = merger.when_not_matched_by_source_delete()
    try:
        return dict(merger.execute())
    except SchemaMismatchError as exc:
        raise ValidationError(f"the data does not match the schema of Delta table {path}: {exc}") from exc


def history(path: str | Path, limit: int | None = None) -> list[dict[str, Any]]:
    """Commits, newest first: version, timestamp, operation, its parameters and metrics."""
    return open_table(path).history(limit)


def snapshot_files(path: str | Path, version: int | None = None) -> list[Path]:
    """The data files that make up one version of the table."""
    return [Path(uri.removeprefix("file://")) for uri in open_table(path, version).file_uris()]


def materialize_snapshot(path: str | Path, target: Path, version: int | None = None) -> int:
    """Lay one version out in ``target`` as plain Parquet files (hard links where possible).

    Readers that know nothing of Delta (``pandas.read_parquet(folder)``) then see exactly that
    version, not files a later overwrite left behind. Returns the version laid out.
    """
    table = open_table(path, version)
    root = Path(path).resolve()
    target.mkdir(parents=True, exist_ok=True)
    for uri in table.file_uris():
        source = Path(uri.removeprefix("file://")).resolve()
        destination = target / source.relative_to(root)
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, destination)
        except OSError:
            shutil.copy2(source, destination)
    return table.version()


def commit_files(path: str | Path, files: Sequence[Path], mode: Literal["append", "overwrite"]) -> int:
    """Commit Parquet files some engine wrote into the table folder as one Delta transaction.

    The files' schema becomes the table's (a new table, or an overwrite); an append must match
    the table's columns and types. Returns the new version; on any error nothing is committed.
    """
    root = Path(path).resolve()
    schema = pq.read_schema(files[0]) if files else None  # type: ignore[no-untyped-call]
    adds = [_add_action(root, file) for file in files]
    if is_delta_table(root):
        table = open_table(root)
        current = pa.schema(table.schema().to_arrow())
        schema = schema or current
        if mode == "append" and _columns(schema) != _columns(current):
            raise ValidationError(
                f"the data does not match the schema of Delta table {path}: it has {_describe(schema)}, "
                f"the table has {_describe(current)}"
            )
        table.create_write_transaction(list[AddAction | RemoveAction](adds), mode, schema)
    else:
        if schema is None:
            raise BadRequestError(f"nothing to write: no Delta table at {path} and no data files")
        create_table_with_add_actions(str(root), Schema.from_arrow(schema), adds, mode=mode)
    return open_table(root).version()


def _columns(schema: pa.Schema) -> list[tuple[str, str]]:
    return [(field.name, str(field.type)) for field in schema]


def _describe(schema: pa.Schema) -> str:
    return ", ".join(f"{name} {kind}" for name, kind in _columns(schema))


def _add_action(root: Path, file: Path) -> AddAction:
    """The Add action of one data file, with the statistics Delta readers use to skip files."""
    metadata = pq.read_metadata(file)  # type: ignore[no-untyped-call]
    schema = metadata.schema.to_arrow_schema()
    flat = {field.name for field in schema if not pa.types.is_nested(field.type)}
    bounded = {
        field.name
        for field in schema
        if pa.types.is_integer(field.type) or pa.types.is_floating(field.type) or pa.types.is_string(field.type)
    }
    nulls: dict[str, int] = dict.fromkeys(flat, 0)
    minimums: dict[str, Any] = {}
    maximums: dict[str, Any] = {}
    for group in range(metadata.num_row_groups):
        for index in range(metadata.num_columns):
            column = metadata.row_group(group).column(index)
            name, stats = column.path_in_schema, column.statistics
            if name not in flat or stats is None:
                continue
            nulls[name] += stats.null_count or 0
            if name in bounded and stats.has_min_max and stats.min == stats.min and stats.max == stats.max:
                minimums[name] = stats.min if name not in minimums else min(minimums[name], stats.min)
                maximums[name] = stats.max if name not in maximums else max(maximums[name], stats.max)
    stats_json = json.dumps(
        {"numRecords": metadata.num_rows, "minValues": minimums, "maxValues": maximums, "nullCount": nulls}
    )
    modified = int(file.stat().st_mtime * 1000)
    return AddAction(file.relative_to(root).as_posix(), file.stat().st_size, {}, modified, True, stats_json)
