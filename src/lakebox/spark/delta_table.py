"""``DeltaTable`` with delta-spark's Python API over delta-rs: ``forPath``, ``toDF``, ``history``,
``delete`` and the ``merge`` builder, for Spark code that manages Delta tables::

    (DeltaTable.forPath(spark, "abfss://...").alias("t")
        .merge(updates.alias("s"), "t.CustomerID = s.CustomerID")
        .whenMatchedUpdateAll().whenNotMatchedInsertAll().execute())

The merge's source rows are collected to this process as Arrow (``DataFrame.toArrow``), so it
suits the sizes one machine merges; the target is merged by delta-rs as one commit.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from lakebox.errors import BadRequestError
from lakebox.lake import delta
from lakebox.spark.lake_env import resolver


class DeltaTable:
    def __init__(self, spark: SparkSession, path: str, alias: str = "target") -> None:
        self._spark, self._path, self._alias = spark, path, alias
        self._local = resolver().local_path(path)
        delta.open_table(self._local)  # a clear error now if it is not a table

    @classmethod
    def forPath(cls, spark: SparkSession, path: str) -> DeltaTable:
        return cls(spark, path)

    @classmethod
    def isDeltaTable(cls, spark: SparkSession, path: str) -> bool:
        return delta.is_delta_table(resolver().local_path(path))

    def alias(self, name: str) -> DeltaTable:
        return DeltaTable(self._spark, self._path, name)

    def toDF(self) -> DataFrame:
        return self._spark.read.format("delta").load(self._path)

    def history(self, limit: int | None = None) -> DataFrame:
        """Commits, newest first: version, timestamp (ms), operation, its parameters and metrics (JSON)."""
        rows = [
            (
                entry.get("version"),
                entry.get("timestamp"),
                entry.get("operation"),
                json.dumps(entry.get("operationParameters", {})),
                json.dumps(entry.get("operationMetrics", {})),
            )
            for entry in delta.history(self._local, limit)
        ]
        schema = "version long, timestamp long, operation string, operationParameters string, operationMetrics string"
        return self._spark.createDataFrame(rows, schema)

    def delete(self, condition: str | None = None) -> dict[str, Any]:
        """Delete the rows matching a SQL ``condition`` (all rows without one), as one commit."""
        return dict(delta.open_table(self._local).delete(condition))

    def merge(self, source: DataFrame, condition: str) -> DeltaMergeBuilder:
        """Merge ``source`` into the table on ``condition``, which names the table by its alias and the
        source by the other alias it uses (``"t.id = s.id"``)."""
        aliases = set(re.findall(r"\b([A-Za-z_]\w*)\s*\.", condition)) - {self._alias}
        if len(aliases) != 1:
            raise BadRequestError(
                f"the merge condition {condition!r} must name the table as {self._alias!r} and the source by one alias"
            )
        merger = delta.open_table(self._local).merge(
            source.toArrow(), predicate=condition, source_alias=aliases.pop(), target_alias=self._alias
        )
        return DeltaMergeBuilder(merger)


class DeltaMergeBuilder:
    """delta-spark's ``when...`` clauses onto delta-rs's merger; ``execute`` commits."""

    def __init__(self, merger: Any) -> None:
        self._merger = merger

    def whenMatchedUpdateAll(self, condition: str | None = None) -> DeltaMergeBuilder:
        return DeltaMergeBuilder(self._merger.when_matched_update_all(predicate=condition))

    def whenMatchedUpdate(self, condition: str | None = None, set: dict[str, str] | None = None) -> DeltaMergeBuilder:
        return DeltaMergeBuilder(self._merger.when_matched_update(updates=set or {}, predicate=condition))

    def whenMatchedDelete(self, condition: str | None = None) -> DeltaMergeBuilder:
        return DeltaMergeBuilder(self._merger.when_matched_delete(predicate=condition))

    def whenNotMatchedInsertAll(self, condition: str | None = None) -> DeltaMergeBuilder:
        return DeltaMergeBuilder(self._merger.when_not_matched_insert_all(predicate=condition))

    def whenNotMatchedInsert(
        self, condition: str | None = None, values: dict[str, str] | None = None
    ) -> DeltaMergeBuilder:
        return DeltaMergeBuilder(self._merger.when_not_matched_insert(updates=values or {}, predicate=condition))

    def whenNotMatchedBySourceDelete(self, condition: str | None = None) -> DeltaMergeBuilder:
        return DeltaMergeBuilder(self._merger.when_not_matched_by_source_delete(predicate=condition))

    def execute(self) -> dict[str, Any]:
        """Commit the merge; returns its metrics (rows inserted, updated, deleted, ...)."""
        return dict(self._merger.execute())
