"""Datasets: what a dataset artifact points at through its linked service, and its rows in and out.

- Table datasets (``AzureSqlDWTable``, ``AzureSqlTable``, ``SqlServerTable``) on a warehouse linked
  service name a table of the workspace's warehouse.
- PostgreSQL ones (``AzurePostgreSqlTable``, ``PostgreSqlTable``, ``PostgreSqlV2Table``) name a table
  of the server their linked service names.
- File datasets (``Parquet``, ``DelimitedText``, ``Json``, and lakebox's ``Delta``) on a storage
  linked service name a file or folder of a registered datastore through their ``location``
  (``fileSystem``/``container``, ``folderPath``, ``fileName``).

Every read and write of the workspace's own data is checked against the identity's data roles.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq
from deltalake import write_deltalake

from lakebox.errors import BadRequestError, NotFoundError
from lakebox.expressions.language import Scope, evaluate
from lakebox.lake import delta
from lakebox.lake.files import read_files
from lakebox.lake.warehouse import files_to_copy, parse_table_name
from lakebox.lake.warehouse_engine import WarehouseEngine
from lakebox.pipelines.services import Services
from lakebox.security import actions

WAREHOUSE_TABLE_TYPES = ("AzureSqlDWTable", "AzureSqlTable", "SqlServerTable")
POSTGRES_TABLE_TYPES = ("AzurePostgreSqlTable", "PostgreSqlTable", "PostgreSqlV2Table")
TABLE_TYPES = (*WAREHOUSE_TABLE_TYPES, *POSTGRES_TABLE_TYPES)
FILE_TYPES = {"Parquet": "parquet", "DelimitedText": "csv", "Json": "json", "Delta": "delta"}
DATASET_TYPES = (*TABLE_TYPES, *FILE_TYPES)
FileKind = Literal["parquet", "csv", "json", "delta"]


@dataclass(frozen=True)
class DatasetTarget:
    name: str
    kind: Literal["warehouse", "postgresql", "lake"]
    linked_service: str
    table: str = ""
    path: Path = Path()
    datastore: str = ""
    file_format: FileKind = "parquet"
    file_name: str = ""
    delimiter: str = ","
    header: bool = True

    def describe(self) -> str:
        if self.kind == "lake":
            return f"{self.datastore}:{self.path.name}"
        return f"{'warehouse' if self.kind == 'warehouse' else 'PostgreSQL'} table {self.table}"


def resolve(services: Services, reference: dict[str, Any], scope: Scope) -> DatasetTarget:
    """The target of a ``DatasetReference`` (``referenceName`` and ``parameters``)."""
    name = str(reference.get("referenceName", ""))
    try:
        properties = services.stores.pipelines.datasets.get(name).properties
    except NotFoundError:
        raise BadRequestError(f"dataset {name!r} is not published in this workspace") from None
    values = _parameters(name, properties, evaluate(reference.get("parameters") or {}, scope))
    own = Scope(dataset=values, clock=scope.clock)
    type_properties = evaluate(properties.get("typeProperties") or {}, own)
    kind = str(properties.get("type"))
    service_name = str((properties.get("linkedServiceName") or {}).get("referenceName", ""))
    service = services.stores.linked_services.get(service_name)
    target = services.linked_services().target(service)
    if kind in TABLE_TYPES:
        wanted: Literal["warehouse", "postgresql"] = "warehouse" if kind in WAREHOUSE_TABLE_TYPES else "postgresql"
        if target.kind != wanted:
            raise BadRequestError(
                f"dataset {name}: {kind} needs a {wanted} linked service; {service_name} is {target.kind}"
            )
        return DatasetTarget(name, wanted, service.name, table=_table_name(name, type_properties))
    if kind not in FILE_TYPES:
        raise BadRequestError(f"dataset {name}: type {kind!r} is not one of {', '.join(DATASET_TYPES)}")
    if target.kind != "datastore":
        raise BadRequestError(f"dataset {name}: {kind} needs a storage linked service; {service_name} is {target.kind}")
    location = type_properties.get("location") or {}
    container = location.get("fileSystem") or location.get("container")
    if not container:
        raise BadRequestError(f"dataset {name}: location needs fileSystem (or container)")
    folder, file_name = str(location.get("folderPath") or "").strip("/"), str(location.get("fileName") or "")
    relative = "/".join(part for part in (folder, file_name) if part)
    place = services.lake().resolve(f"abfss://{container}@{target.target}.dfs.core.windows.net/{relative}")
    return DatasetTarget(
        name,
        "lake",
        service.name,
        path=place.local_path,
        datastore=place.datastore,
        file_format=FILE_TYPES[kind],  # type: ignore[arg-type]
        file_name=file_name,
        delimiter=str(type_properties.get("columnDelimiter", ",")),
        header=bool(type_properties.get("firstRowAsHeader", kind == "DelimitedText")),
    )


def _parameters(name: str, properties: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    declared = properties.get("parameters") or {}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise BadRequestError(f"dataset {name} has no parameter {', '.join(unknown)}")
    values = {key: (spec or {}).get("defaultValue") for key, spec in declared.items()} | given
    missing = sorted(key for key, value in values.items() if value is None)
    if missing:
        raise BadRequestError(f"dataset {name}: parameter {', '.join(missing)} has no value and no default")
    return values


def _table_name(name: str, properties: dict[str, Any]) -> str:
    if properties.get("table"):
        return f"{properties.get('schema') or 'dbo'}.{properties['table']}"
    if properties.get("tableName"):
        schema, table = parse_table_name(str(properties["tableName"]))
        return f"{schema}.{table}"
    raise BadRequestError(f"dataset {name}: give typeProperties schema and table")


# Reading.


def read(services: Services, target: DatasetTarget, source: dict[str, Any] | None = None) -> pa.Table:
    """The rows of ``target``; a Copy or Lookup ``source`` may give a query or a stored procedure."""
    source = source or {}
    if target.kind != "lake":
        warehouse = _database(services, target, actions.WAREHOUSE_READ)
        if query := source.get("sqlReaderQuery") or source.get("query"):
            return warehouse.query(str(query), read_only=True)
        if procedure := source.get("sqlReaderStoredProcedureName"):
            return warehouse.query(_procedure_call(str(procedure), source), read_only=True)
        return warehouse.read_table(target.table)
    services.authorize(actions.BLOBS_READ, f"datastores/{target.datastore}")
    if target.file_format == "json":
        files = [target.path] if target.path.is_file() else sorted(target.path.rglob("*.json"))
        if not files:
            raise NotFoundError(f"dataset {target.name}: no JSON files at {target.describe()}")
        return pa.concat_tables([_read_json(file) for file in files])
    root = services.lake().resolve(f"azureml://datastores/{target.datastore}/paths/").local_path
    file_format = "delta" if target.file_format == "delta" else None if target.path.is_dir() else target.file_format
    files, kind = files_to_copy(target.path, file_format, root)
    if kind == "csv" and (target.delimiter != "," or not target.header):
        options = pacsv.ParseOptions(delimiter=target.delimiter)  # type: ignore[attr-defined]
        reading = pacsv.ReadOptions(autogenerate_column_names=not target.header)  # type: ignore[attr-defined]
        return pa.concat_tables(
            [pacsv.read_csv(f, parse_options=options, read_options=reading) for f in files]  # type: ignore[attr-defined]
        )
    return read_files(files, kind)


def _read_json(file: Path) -> pa.Table:
    text = file.read_text()
    if text.lstrip().startswith("["):
        return pa.Table.from_pylist(json.loads(text))
    return pajson.read_json(file)  # type: ignore[attr-defined]


def _procedure_call(procedure: str, source: dict[str, Any]) -> str:
    """A stored procedure as the embedded warehouse has them: a table macro, called with named arguments."""
    schema, name = parse_table_name(procedure)
    arguments = []
    for key, spec in (source.get("storedProcedureParameters") or {}).items():
        value = spec.get("value") if isinstance(spec, dict) else spec
        literal = "NULL" if value is None else str(value) if isinstance(value, int | float) else _quote(str(value))
        arguments.append(f'"{key}" := {literal}')
    return f'SELECT * FROM "{schema}"."{name}"({", ".join(arguments)})'


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# Writing.


def write(services: Services, target: DatasetTarget, data: pa.Table, sink: dict[str, Any], run_id: str) -> int:
    """Write ``data`` to ``target`` as a Copy ``sink`` says; returns the rows written."""
    if target.kind != "lake":
        return _write_table(_database(services, target, actions.WAREHOUSE_WRITE), target.table, data, sink)
    services.authorize(actions.BLOBS_WRITE, f"datastores/{target.datastore}")
    if target.file_format == "delta":
        if sink.get("writeBehavior") == "overwrite":
            write_deltalake(str(target.path), data, mode="overwrite")
        else:
            write_deltalake(str(target.path), data, mode="append")
        return int(data.num_rows)
    extension = {"parquet": "parquet", "csv": "csv", "json": "json"}[target.file_format]
    path = target.path if target.file_name else target.path / f"data_{run_id}.{extension}"
    path.parent.mkdir(parents=True, exist_ok=True)
    if target.file_format == "parquet":
        pq.write_table(data, path)
    elif target.file_format == "csv":
        options = pacsv.WriteOptions(include_header=target.header, delimiter=target.delimiter)  # type: ignore[attr-defined]
        pacsv.write_csv(data, path, write_options=options)  # type: ignore[attr-defined]
    else:
        path.write_text("".join(json.dumps(row, default=str) + "\n" for row in data.to_pylist()))
    return int(data.num_rows)


def _database(services: Services, target: DatasetTarget, action: str) -> WarehouseEngine:
    """The database behind a table dataset; the workspace's warehouse checks ``action`` against the
    roles of the identity the linked service acts as (a PostgreSQL server checks its own login)."""
    if target.kind == "warehouse":
        services.authorize(action, "warehouse", principal=services.sql_principal(target.linked_service))
    return services.sql_engine(target.linked_service)


def _write_table(warehouse: WarehouseEngine, table: str, data: pa.Table, sink: dict[str, Any]) -> int:
    if script := sink.get("preCopyScript"):
        warehouse.query(str(script), read_only=False)
    behavior = str(sink.get("writeBehavior") or "insert").lower()
    if behavior == "insert":
        warehouse.load(table, data, mode="append")
        return int(data.num_rows)
    if behavior != "upsert":
        raise BadRequestError(f"writeBehavior {sink.get('writeBehavior')!r} is not insert or upsert")
    keys = list((sink.get("upsertSettings") or {}).get("keys") or [])
    if not keys or any(key not in data.column_names for key in keys):
        raise BadRequestError(f"an upsert needs upsertSettings.keys naming columns of the source; got {keys}")
    schema, name = parse_table_name(table)
    if not any(str(t["name"]).lower() == name.lower() for t in warehouse.tables()):
        warehouse.load(table, data, mode="create")
        return int(data.num_rows)
    staging = f"{schema}.lakebox_upsert_{name}"  # unquoted: both engines fold it as the load did
    warehouse.load(staging, data, mode="overwrite")
    match = " AND ".join(f't."{key}" = s."{key}"' for key in keys)
    columns = ", ".join(f'"{column}"' for column in data.column_names)
    warehouse.query(
        f"BEGIN; DELETE FROM {schema}.{name} t WHERE EXISTS (SELECT 1 FROM {staging} s WHERE {match}); "
        f"INSERT INTO {schema}.{name} ({columns}) SELECT {columns} FROM {staging}; DROP TABLE {staging}; COMMIT;",
        read_only=False,
    )
    return int(data.num_rows)


def map_columns(data: pa.Table, translator: dict[str, Any] | None) -> pa.Table:
    """Apply a ``TabularTranslator``'s ``mappings`` (source name to sink name); without one, as it is."""
    mappings = (translator or {}).get("mappings") or []
    if not mappings:
        return data
    columns, names = [], []
    for mapping in mappings:
        source = str((mapping.get("source") or {}).get("name", ""))
        if source not in data.column_names:
            raise BadRequestError(
                f"column mapping: the source has no column {source!r} ({', '.join(data.column_names)})"
            )
        columns.append(data.column(source))
        names.append(str((mapping.get("sink") or {}).get("name") or source))
    return pa.table(columns, names=names)


def file_metadata(target: DatasetTarget, fields: list[str]) -> dict[str, Any]:
    """GetMetadata's fields of a lake dataset (``exists``, ``itemName``, ``childItems``, ``size``, ...)."""
    path = target.path
    exists = path.exists()
    known: dict[str, Any] = {"exists": exists}
    if exists:
        stat = path.stat()
        known |= {
            "itemName": path.name,
            "itemType": "Folder" if path.is_dir() else "File",
            "lastModified": _iso(stat.st_mtime),
            "size": stat.st_size if path.is_file() else None,
            "childItems": [
                {"name": child.name, "type": "Folder" if child.is_dir() else "File"}
                for child in sorted(path.iterdir())
                if not child.name.startswith(".")
            ]
            if path.is_dir()
            else None,
        }
        if (path.is_file() and target.file_format == "parquet") or delta.is_delta_table(path):
            schema = pa.schema(pq.read_schema(path) if path.is_file() else delta.open_table(path).schema().to_arrow())
            known["columnCount"] = len(schema.names)
            known["structure"] = [{"name": f.name, "type": str(f.type)} for f in schema]
    unknown = [
        f
        for f in fields
        if f not in ("exists", "itemName", "itemType", "lastModified", "size", "childItems", "columnCount", "structure")
    ]
    if unknown:
        raise BadRequestError(f"GetMetadata: field {', '.join(unknown)} is not supported")
    if not exists and set(fields) - {"exists"}:
        raise NotFoundError(f"{target.describe()} does not exist")
    return {field: known.get(field) for field in fields}


def _iso(timestamp: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")
