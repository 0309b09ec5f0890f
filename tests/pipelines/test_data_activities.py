"""Copy, Lookup, GetMetadata and Script over real datasets: the warehouse (tables, queries, stored
procedures, upserts) and a datastore (Parquet, CSV, JSON and Delta), as the pipeline's identities."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from deltalake import DeltaTable
from tests.pipelines.test_engine import act, pipeline, run
from tests.postgres import PostgresServer

from lakebox import ConflictError, MLClient
from lakebox.entities import Datastore

LAKE = {"referenceName": "Lake", "type": "LinkedServiceReference"}
SQL = {"referenceName": "Sql", "type": "LinkedServiceReference"}


@pytest.fixture(scope="module")
def lake(client: MLClient, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A datastore for abfss://files@testlake, linked services to it and to the warehouse, and datasets."""
    root = tmp_path_factory.mktemp("lake")
    client.datastores.create_or_update(
        Datastore(name="testlake", type="azure_blob", path=str(root), account_name="testlake", container_name="files")
    )
    for name, password, role in (
        ("copier", "copier-password-1", "Warehouse Data Contributor"),
        ("reader", "reader-password-1", "Warehouse Data Reader"),
    ):
        with contextlib.suppress(ConflictError):
            client.warehouse.create_login(name, password, role=role)
    folder = tmp_path_factory.mktemp("artifacts")
    services = {
        "Lake": {"type": "AzureBlobFS", "typeProperties": {"url": "https://testlake.dfs.core.windows.net/"}},
        "Sql": {
            "type": "AzureSqlDW",
            "typeProperties": {
                "connectionString": "Server=tcp:w,1433;Database=pool;User ID=copier;Password=copier-password-1"
            },
        },
        "SqlReader": {
            "type": "AzureSqlDW",
            "typeProperties": {
                "connectionString": "Server=tcp:w,1433;Database=pool;User ID=reader;Password=reader-password-1"
            },
        },
    }
    datasets = {
        "Table": table_dataset("@dataset().name", SQL, {"name": {"type": "String"}}),
        "ReaderTable": table_dataset("@dataset().name", {"referenceName": "SqlReader"}, {"name": {"type": "String"}}),
        "ParquetFile": file_dataset(
            "Parquet", {"folder": {"type": "String", "defaultValue": "out"}}, "@dataset().folder", "customers.parquet"
        ),
        "CsvFile": file_dataset("DelimitedText", {}, "csv", "changes.csv", columnDelimiter=";", firstRowAsHeader=True),
        "JsonFolder": file_dataset("Json", {}, "json", ""),
        "DeltaTable": file_dataset("Delta", {}, "delta/customers", ""),
        "Folder": file_dataset("Parquet", {}, "@concat('', 'out')", ""),
    }
    for kind, items in (("linkedService", services), ("dataset", datasets)):
        (folder / kind).mkdir()
        for name, properties in items.items():
            (folder / kind / f"{name}.json").write_text(json.dumps({"name": name, "properties": properties}))
    client.pipelines.publish(folder)
    return root


def table_dataset(table: str, service: dict[str, str], parameters: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "AzureSqlDWTable",
        "linkedServiceName": service,
        "parameters": parameters,
        "typeProperties": {"schema": "dbo", "table": table},
    }


def file_dataset(kind: str, parameters: dict[str, Any], folder: str, file: str, **extra: Any) -> dict[str, Any]:
    location = {"type": "AzureBlobFSLocation", "fileSystem": "files", "folderPath": folder, "fileName": file}
    return {
        "type": kind,
        "linkedServiceName": LAKE,
        "parameters": parameters,
        "typeProperties": {"location": location, **extra},
    }


def ref(dataset: str, **parameters: Any) -> dict[str, Any]:
    return {"referenceName": dataset, "type": "DatasetReference", "parameters": parameters}


def copy(name: str, reads: dict[str, Any], writes: dict[str, Any], after: str | None = None, **props: Any) -> dict:
    """A Copy activity from dataset ``reads`` to dataset ``writes``; ``props`` are its typeProperties."""
    item = act(name, "Copy", {after: ["Succeeded"]} if after else None, **props)
    return item | {"inputs": [reads], "outputs": [writes]}


def publish_pipeline(client: MLClient, tmp_path: Path, definition: dict[str, Any]) -> None:
    (tmp_path / "pipeline").mkdir()
    (tmp_path / "pipeline" / "p.json").write_text(json.dumps(definition))
    client.pipelines.publish(tmp_path)


def customers(n: int) -> pd.DataFrame:
    return pd.DataFrame({"id": range(n), "name": [f"c{i}" for i in range(n)], "age": [20 + i for i in range(n)]})


def test_copy_between_warehouse_and_lake_with_mapping_and_pre_copy_script(
    client: MLClient, lake: Path, tmp_path: Path
) -> None:
    client.warehouse.load("dbo.Customers", customers(50), mode="overwrite")
    client.warehouse.query("CREATE OR REPLACE TABLE dbo.Renamed (customer_id BIGINT, years BIGINT)")
    client.warehouse.query("INSERT INTO dbo.Renamed VALUES (999, 1)")
    mapping = {
        "type": "TabularTranslator",
        "mappings": [
            {"source": {"name": "id"}, "sink": {"name": "customer_id"}},
            {"source": {"name": "age"}, "sink": {"name": "years"}},
        ],
    }
    publish_pipeline(
        client,
        tmp_path,
        pipeline(
            "RoundTrip",
            [
                copy(
                    "Out",
                    ref("Table", name="Customers"),
                    ref("ParquetFile", folder="@pipeline().parameters.folder"),
                    source={"type": "SqlDWSource", "sqlReaderQuery": "SELECT * FROM dbo.Customers WHERE age < 60"},
                    sink={"type": "ParquetSink"},
                ),
                copy(
                    "Back",
                    ref("ParquetFile", folder="@pipeline().parameters.folder"),
                    ref("Table", name="Renamed"),
                    "Out",
                    translator=mapping,
                    sink={"type": "SqlDWSink", "preCopyScript": "DELETE FROM dbo.Renamed"},
                ),
            ],
            parameters={"folder": {"type": "String"}},
        ),
    )
    finished, _ = run(client, "RoundTrip", {"folder": "exports/2026"})
    assert finished.status == "Succeeded", finished.message
    assert pd.read_parquet(lake / "exports" / "2026" / "customers.parquet").shape == (40, 3)
    back = client.warehouse.query("SELECT * FROM dbo.Renamed ORDER BY customer_id").to_pandas()
    assert list(back.columns) == ["customer_id", "years"] and len(back) == 40 and 999 not in set(back.customer_id)
    outputs = {a.activity_name: a.output for a in client.pipelines.activity_runs(finished.run_id)}
    assert outputs["Out"]["rowsRead"] == 40 and outputs["Back"]["rowsCopied"] == 40


def test_upsert_replaces_matching_keys_and_adds_the_rest(client: MLClient, lake: Path, tmp_path: Path) -> None:
    client.warehouse.load("dbo.Upserted", customers(5), mode="overwrite")
    (lake / "csv").mkdir(exist_ok=True)
    (lake / "csv" / "changes.csv").write_text("id;name;age\n1;changed;99\n7;new;30\n")
    publish_pipeline(
        client,
        tmp_path,
        pipeline(
            "Upsert",
            [
                copy(
                    "Merge",
                    ref("CsvFile"),
                    ref("Table", name="Upserted"),
                    sink={"type": "SqlDWSink", "writeBehavior": "upsert", "upsertSettings": {"keys": ["id"]}},
                ),
            ],
        ),
    )
    assert run(client, "Upsert")[0].status == "Succeeded"
    rows = client.warehouse.query("SELECT id, name, age FROM dbo.Upserted ORDER BY id").to_pylist()
    assert [r["id"] for r in rows] == [0, 1, 2, 3, 4, 7]
    assert rows[1] == {"id": 1, "name": "changed", "age": 99} and rows[-1]["name"] == "new"


def test_lookup_stored_procedure_get_metadata_and_for_each_over_files(
    client: MLClient, lake: Path, tmp_path: Path
) -> None:
    client.warehouse.load("dbo.People", customers(10), mode="overwrite")
    client.warehouse.query(
        "CREATE OR REPLACE MACRO dbo.older_than(min_age) AS TABLE SELECT * FROM dbo.People WHERE age > min_age"
    )
    (lake / "inbox").mkdir(exist_ok=True)
    for name in ("a.parquet", "b.parquet"):
        customers(3).to_parquet(lake / "inbox" / name)
    inbox = file_dataset("Parquet", {}, "inbox", "")
    (tmp_path / "dataset").mkdir()
    (tmp_path / "dataset" / "Inbox.json").write_text(json.dumps({"name": "Inbox", "properties": inbox}))
    publish_pipeline(
        client,
        tmp_path,
        pipeline(
            "Lookups",
            [
                act(
                    "Oldest",
                    "Lookup",
                    source={
                        "type": "SqlDWSource",
                        "sqlReaderStoredProcedureName": "[dbo].[older_than]",
                        "storedProcedureParameters": {"min_age": {"value": 26, "type": "Int32"}},
                    },
                    dataset=ref("Table", name="People"),
                    firstRowOnly=False,
                ),
                act(
                    "First",
                    "Lookup",
                    dataset=ref("Table", name="People"),
                    source={"type": "SqlDWSource", "sqlReaderQuery": "SELECT max(age) AS oldest FROM dbo.People"},
                ),
                act("Files", "GetMetadata", dataset=ref("Inbox"), fieldList=["exists", "itemType", "childItems"]),
                act(
                    "EachFile",
                    "ForEach",
                    {"Files": ["Succeeded"]},
                    items="@activity('Files').output.childItems",
                    activities=[act("Note", "AppendVariable", variableName="names", value="@item().name")],
                ),
                act(
                    "Result",
                    "SetVariable",
                    {"EachFile": ["Succeeded"], "Oldest": ["Succeeded"], "First": ["Succeeded"]},
                    setSystemVariable=True,
                    variableName="pipelineReturnValue",
                    value=[
                        {
                            "key": "older",
                            "value": {"type": "Expression", "content": "@activity('Oldest').output.count"},
                        },
                        {
                            "key": "oldest",
                            "value": {"type": "Expression", "content": "@activity('First').output.firstRow.oldest"},
                        },
                        {"key": "files", "value": {"type": "Expression", "content": "@variables('names')"}},
                    ],
                ),
            ],
            variables={"names": {"type": "Array", "defaultValue": []}},
        ),
    )
    finished, _ = run(client, "Lookups")
    assert finished.status == "Succeeded", finished.message
    assert finished.output["older"] == 3 and finished.output["oldest"] == 29
    assert sorted(finished.output["files"]) == ["a.parquet", "b.parquet"]


def test_delta_and_json_sinks_and_sources(client: MLClient, lake: Path, tmp_path: Path) -> None:
    client.warehouse.load("dbo.ToDelta", customers(6), mode="overwrite")
    publish_pipeline(
        client,
        tmp_path,
        pipeline(
            "Formats",
            [
                copy("ToDelta", ref("Table", name="ToDelta"), ref("DeltaTable"), sink={"writeBehavior": "overwrite"}),
                copy("ToJson", ref("DeltaTable"), ref("JsonFolder"), "ToDelta"),
                copy(
                    "JsonBack",
                    ref("JsonFolder"),
                    ref("Table", name="FromJson"),
                    "ToJson",
                    sink={"preCopyScript": "DROP TABLE IF EXISTS dbo.FromJson"},
                ),
            ],
        ),
    )
    finished, _ = run(client, "Formats")
    assert finished.status == "Succeeded", finished.message
    assert DeltaTable(str(lake / "delta" / "customers")).to_pandas().shape == (6, 3)
    assert client.warehouse.query("SELECT count(*) AS n FROM dbo.FromJson").column("n")[0].as_py() == 6


def test_a_login_without_write_access_cannot_copy_into_the_warehouse(
    client: MLClient, lake: Path, tmp_path: Path
) -> None:
    client.warehouse.load("dbo.Guarded", customers(2), mode="overwrite")
    publish_pipeline(
        client,
        tmp_path,
        pipeline(
            "Denied",
            [
                copy("Write", ref("Table", name="Guarded"), ref("ReaderTable", name="Guarded")),
            ],
        ),
    )
    finished, _ = run(client, "Denied")
    error = client.pipelines.activity_runs(finished.run_id)[0].error or {}
    assert finished.status == "Failed"
    assert error["errorCode"] == "403" and "reader may not perform data action" in error["message"]
    assert client.warehouse.query("SELECT count(*) AS n FROM dbo.Guarded").column("n")[0].as_py() == 2


def test_copy_to_and_from_postgresql_with_upsert_and_lookup(
    client: MLClient, lake: Path, tmp_path: Path, postgres: PostgresServer
) -> None:
    postgres.create_database("sales")
    connection = f"host=127.0.0.1;port={postgres.port};database=sales;username=postgres;Password=pg-pass-123"
    client.warehouse.load("dbo.ForPostgres", customers(8), mode="overwrite")
    (lake / "csv").mkdir(exist_ok=True)
    (lake / "csv" / "changes.csv").write_text("id;name;age\n2;renamed;77\n9;added;40\n")
    artifacts = {
        "linkedService/Sales.json": {"type": "PostgreSql", "typeProperties": {"connectionString": connection}},
        "dataset/SalesCustomers.json": {
            "type": "PostgreSqlV2Table",
            "linkedServiceName": {"referenceName": "Sales"},
            "typeProperties": {"schema": "public", "table": "customers"},
        },
        "pipeline/ToPostgres.json": {
            "activities": [
                copy(
                    "Out",
                    ref("Table", name="ForPostgres"),
                    ref("SalesCustomers"),
                    sink={"preCopyScript": "DROP TABLE IF EXISTS public.customers"},
                ),
                copy(
                    "Merge",
                    ref("CsvFile"),
                    ref("SalesCustomers"),
                    "Out",
                    sink={"writeBehavior": "upsert", "upsertSettings": {"keys": ["id"]}},
                ),
                act(
                    "Count",
                    "Lookup",
                    {"Merge": ["Succeeded"]},
                    dataset=ref("SalesCustomers"),
                    source={"query": "SELECT count(*) AS n, max(age) AS oldest FROM public.customers"},
                ),
            ]
        },
    }
    for name, properties in artifacts.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(json.dumps({"name": Path(name).stem, "properties": properties}))
    client.pipelines.publish(tmp_path)
    finished, _ = run(client, "ToPostgres")
    assert finished.status == "Succeeded", finished.message
    looked_up = next(a.output for a in client.pipelines.activity_runs(finished.run_id) if a.activity_name == "Count")
    assert looked_up["firstRow"] == {"n": 9, "oldest": 77}  # 8 copied, 1 replaced, 1 added
    assert "pg-pass-123" not in json.dumps(
        [a.model_dump(mode="json") for a in client.pipelines.activity_runs(finished.run_id)]
    )
