"""Turning what users hand to the lake (Arrow, pandas) into one Arrow table, and Arrow IPC streams."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow as pa

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


def to_ipc(table: pa.Table) -> bytes:
    """An Arrow IPC stream of ``table`` (what the warehouse's API sends and receives)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def from_ipc(body: bytes) -> pa.Table:
    return pa.ipc.open_stream(body).read_all()
