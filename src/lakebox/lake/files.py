"""The data files behind a lake path, and their rows: one place decides what a path holds."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.csv
import pyarrow.parquet

from lakebox.errors import NotFoundError, ValidationError
from lakebox.lake import delta

FileFormat = Literal["parquet", "csv"]


def source_files(path: Path, file_format: str | None = None) -> tuple[list[Path], FileFormat]:
    """The files of a file, a folder of Parquet or CSV files, or one version of a Delta table, and
    their format (``file_format`` ``parquet``, ``csv`` or ``delta`` when the path does not tell)."""
    if file_format == "delta" or (file_format is None and delta.is_delta_table(path)):
        return delta.snapshot_files(path), "parquet"
    if path.is_file():
        kind = file_format or path.suffix.lower().lstrip(".")
        if kind not in ("parquet", "csv"):
            raise ValidationError(f"cannot tell the format of {path.name}; give format parquet, csv or delta")
        return [path], "parquet" if kind == "parquet" else "csv"
    if not path.is_dir():
        raise NotFoundError(f"{path} does not exist")
    for kind in (file_format,) if file_format else ("parquet", "csv"):
        files = sorted(p for p in path.rglob(f"*.{kind}") if not p.name.startswith(("_", ".")))
        if files:
            return files, "parquet" if kind == "parquet" else "csv"
    raise NotFoundError(f"no {file_format or 'parquet or csv'} files in {path}")


def read_files(files: list[Path], file_format: FileFormat) -> pa.Table:
    """The rows of Parquet files, or of CSV files with a header, as one table."""
    if file_format == "csv":
        tables = [pyarrow.csv.read_csv(file) for file in files]  # type: ignore[attr-defined]
    else:
        tables = [pyarrow.parquet.read_table(file) for file in files]  # type: ignore[no-untyped-call]
    return pa.concat_tables(tables)
