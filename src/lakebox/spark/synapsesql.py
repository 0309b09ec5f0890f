"""Spark's ``synapsesql`` format: tables of the workspace's SQL warehouse, with the Synapse
connector's options (``url``, ``dbtable`` or ``query``, ``user``, ``password``).

The ``url`` names a Synapse SQL endpoint (``jdbc:sqlserver://<ws>.sql.azuresynapse.net:1433``);
in lakebox every such URL is the workspace's warehouse, reached through the workspace server
(``LAKEBOX_ENDPOINT``, which lakebox sets for Spark sessions). The SQL login in ``user`` and
``password`` is checked by the server; a wrong one fails the read with a clear error.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
from pyspark.sql.datasource import (
    DataSource,
    DataSourceArrowWriter,
    DataSourceReader,
    InputPartition,
    WriterCommitMessage,
)
from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema
from pyspark.sql.types import StructType

from lakebox import settings
from lakebox.client.warehouse import WarehouseOperations
from lakebox.errors import BadRequestError, ValidationError


def _connect(options: dict[str, str]) -> WarehouseOperations:
    missing = [name for name in ("user", "password") if not options.get(name)]
    if missing:
        raise BadRequestError(f"synapsesql needs the options {' and '.join(missing)} (a SQL login)")
    endpoint = settings.LAKEBOX_ENDPOINT.get()
    if endpoint is None:
        raise ValidationError("synapsesql needs LAKEBOX_ENDPOINT; create the session with lakebox.spark.get_session()")
    return WarehouseOperations.connect(endpoint, options["user"], options["password"])


def _query(options: dict[str, str]) -> str:
    if options.get("query"):
        return options["query"]
    if options.get("dbtable"):
        return f"SELECT * FROM {options['dbtable']}"
    raise BadRequestError("synapsesql needs the option dbtable or query")


class SynapseSqlDataSource(DataSource):
    @classmethod
    def name(cls) -> str:
        return "synapsesql"

    def schema(self) -> StructType:
        with _connect(self.options) as warehouse:
            empty = warehouse.query(f"SELECT * FROM ({_query(self.options)}) AS source LIMIT 0")
        return from_arrow_schema(empty.schema)

    def reader(self, schema: StructType) -> DataSourceReader:
        return SynapseSqlReader(dict(self.options))

    def writer(self, schema: StructType, overwrite: bool) -> SynapseSqlWriter:
        if not self.options.get("dbtable"):
            raise BadRequestError("writing with synapsesql needs the option dbtable")
        if overwrite:  # replace the table by an empty one of the new schema; the tasks then append
            with _connect(self.options) as warehouse:
                warehouse.load(self.options["dbtable"], to_arrow_schema(schema).empty_table(), mode="overwrite")
        return SynapseSqlWriter(dict(self.options))


class SynapseSqlReader(DataSourceReader):
    def __init__(self, options: dict[str, str]) -> None:
        self.options = options

    def partitions(self) -> list[InputPartition]:
        return [InputPartition(0)]

    def read(self, partition: InputPartition) -> Iterator[pa.RecordBatch]:
        with _connect(self.options) as warehouse:
            yield from warehouse.query(_query(self.options)).to_batches()


class SynapseSqlWriter(DataSourceArrowWriter):
    """Each task appends its rows (an overwrite has emptied the table before any task runs, so it is
    not atomic: a failed overwrite leaves the table empty or partly written)."""

    def __init__(self, options: dict[str, str]) -> None:
        self.options = options

    def write(self, iterator: Iterator[pa.RecordBatch]) -> WriterCommitMessage:
        batches = list(iterator)
        if batches:
            with _connect(self.options) as warehouse:
                warehouse.load(self.options["dbtable"], pa.Table.from_batches(batches), mode="append")
        return WriterCommitMessage()
