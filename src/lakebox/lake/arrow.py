"""Turning what users hand to the lake (Arrow, pandas) into one Arrow table."""

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
