"""Turning what users hand to the lake (Arrow, pandas, CSV and Parquet files) into one Arrow table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv
import pyarrow.parquet

from lakebox.errors import ValidationError


def as_arrow_table(data: Any) -> pa.Table:
    """An Arrow table from Arrow data, a record batch, a pandas DataFrame or any Arrow stream."""
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pd.DataFrame):
        return pa.Table.from_pandas(data, preserve_index=False)
    if isinstance(data, pa.RecordBatch) or hasattr(data, "__arrow_c_stream__"):
        return pa.table(data)
    raise ValidationError(f"cannot write {type(data).__name__}: give an Arrow table or a pandas DataFrame")


def read_file(path: Path, file_format: str) -> pa.Table:
    """A Parquet file or folder (``parquet``), or a CSV file with a header (``csv``)."""
    if file_format == "csv":
        return pyarrow.csv.read_csv(path)  # type: ignore[attr-defined]
    return pyarrow.parquet.read_table(path)  # type: ignore[no-untyped-call]
