"""Delta tables through delta-rs: writes are commits, time travel, merge, and clean snapshots."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from lakebox.errors import BadRequestError, NotFoundError, ValidationError
from lakebox.lake import delta


def test_write_append_overwrite_history_and_time_travel(tmp_path: Path) -> None:
    table = tmp_path / "customers"
    assert delta.write_table(table, pd.DataFrame({"id": [1, 2], "age": [30, 40]})) == 0
    assert delta.write_table(table, pa.table({"id": [3], "age": [50]}), mode="append") == 1
    assert delta.write_table(table, pa.table({"id": [9], "age": [99]}), mode="overwrite") == 2
    assert delta.read_table(table).to_pydict() == {"id": [9], "age": [99]}
    assert sorted(delta.read_table(table, version=1).column("id").to_pylist()) == [1, 2, 3]
    assert [(h["version"], h["operation"]) for h in delta.history(table)] == [(2, "WRITE"), (1, "WRITE"), (0, "WRITE")]
    with pytest.raises(BadRequestError, match="exists; write with mode='append' or 'overwrite'"):
        delta.write_table(table, pa.table({"id": [1], "age": [1]}))


def test_a_failed_append_leaves_the_table_at_its_version(tmp_path: Path) -> None:
    table = tmp_path / "t"
    delta.write_table(table, pa.table({"id": [1], "age": [30]}))
    with pytest.raises(ValidationError, match="does not match the schema of Delta table"):
        delta.write_table(table, pa.table({"id": [2], "income": [1.5]}), mode="append")
    assert delta.open_table(table).version() == 0
    assert delta.read_table(table).num_rows == 1
    delta.write_table(table, pa.table({"id": [2], "age": [31], "income": [1.5]}), mode="append", schema_mode="merge")
    assert delta.read_table(table).column_names == ["id", "age", "income"]


def test_merge_upserts_by_key(tmp_path: Path) -> None:
    table = tmp_path / "t"
    delta.write_table(table, pa.table({"id": [1, 2], "score": [10, 20]}))
    metrics = delta.merge_table(table, pa.table({"id": [2, 3], "score": [25, 30]}), on=["id"])
    assert (metrics["num_target_rows_updated"], metrics["num_target_rows_inserted"]) == (1, 1)
    assert sorted(zip(*delta.read_table(table).to_pydict().values(), strict=True)) == [(1, 10), (2, 25), (3, 30)]
    with pytest.raises(ValidationError, match=r"merge keys \['key'\] are not columns"):
        delta.merge_table(table, pa.table({"id": [1]}), on=["key"])


def test_paths_that_are_not_tables(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    with pytest.raises(NotFoundError, match="is not a Delta table"):
        delta.read_table(tmp_path / "plain")
    with pytest.raises(NotFoundError, match="does not exist"):
        delta.read_table(tmp_path / "missing")
    delta.write_table(tmp_path / "t", pa.table({"id": [1]}))
    with pytest.raises(NotFoundError, match="has no version 7"):
        delta.read_table(tmp_path / "t", version=7)


def test_snapshot_holds_one_version_for_readers_that_know_no_delta(tmp_path: Path) -> None:
    table = tmp_path / "t"
    delta.write_table(table, pa.table({"id": [1, 2]}))
    delta.write_table(table, pa.table({"id": [3]}), mode="overwrite")
    assert len(list(table.glob("*.parquet"))) == 2  # the overwritten file stays for time travel
    assert delta.materialize_snapshot(table, tmp_path / "v1") == 1
    assert pd.read_parquet(tmp_path / "v1")["id"].tolist() == [3]
    delta.materialize_snapshot(table, tmp_path / "v0", version=0)
    assert sorted(pd.read_parquet(tmp_path / "v0")["id"].tolist()) == [1, 2]
