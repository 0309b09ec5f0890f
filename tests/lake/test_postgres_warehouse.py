"""A real PostgreSQL server as the workspace's warehouse, through a postgresql connection."""

from __future__ import annotations

import pandas as pd
import psycopg
import pytest

from lakebox import BadRequestError, MLClient, UnavailableError
from lakebox.client.warehouse import WarehouseOperations
from lakebox.entities import WorkspaceConnection
from lakebox.server.process import read_record
from lakebox.workspace.layout import WorkspaceLayout
from tests.postgres import PostgresServer


def _connection(name: str, port: int, database: str) -> WorkspaceConnection:
    return WorkspaceConnection(
        name=name,
        type="postgresql",
        target=f"postgresql://127.0.0.1:{port}/{database}",
        credentials={"type": "UsernamePassword", "username": "postgres", "password": "pg-warehouse-pw"},
    )


def test_postgres_is_the_warehouse_through_a_connection(
    fresh_workspace: WorkspaceLayout, postgres: PostgresServer
) -> None:
    postgres.create_database("lakebox_warehouse")
    with MLClient(path=fresh_workspace.root) as client:
        client.connections.create_or_update(_connection("pg-warehouse", postgres.port, "lakebox_warehouse"))
        assert client.warehouse.use_connection("pg-warehouse").engine == "postgresql"

        frame = pd.DataFrame({"CustomerID": [1, 2, 3], "Age": [25, 47, 70], "Income": [1.5, None, 3.0]})
        assert client.warehouse.load("dbo.CustomerData", frame, mode="overwrite").rows == 3
        result = client.warehouse.query('SELECT "CustomerID" FROM dbo.CustomerData WHERE "Age" > 30 ORDER BY 1')
        assert result.column("CustomerID").to_pylist() == [2, 3]
        assert ("dbo", "customerdata", 3) in {(t.schema_name, t.name, t.rows) for t in client.warehouse.tables()}

        client.warehouse.create_login("pgreader", "pg-reader-pw-1", role="Warehouse Data Reader")
        url = read_record(fresh_workspace).url  # type: ignore[union-attr]
        with WarehouseOperations.connect(url, "pgreader", "pg-reader-pw-1") as reader:
            assert reader.read_table("dbo.CustomerData").num_rows == 3
            with pytest.raises(BadRequestError, match="read-only transaction"):
                reader.query("DROP TABLE dbo.customerdata")
    with psycopg.connect(f"host=127.0.0.1 port={postgres.port} user=postgres dbname=lakebox_warehouse") as direct:
        assert direct.execute("SELECT count(*) FROM dbo.customerdata").fetchone() == (3,)


def test_a_connection_that_does_not_work_is_refused_and_changes_nothing(fresh_workspace: WorkspaceLayout) -> None:
    with MLClient(path=fresh_workspace.root) as client:
        client.warehouse.load("dbo.Kept", pd.DataFrame({"x": [1]}), mode="overwrite")
        client.connections.create_or_update(_connection("pg-down", 1, "nowhere"))
        with pytest.raises(UnavailableError, match="cannot reach the PostgreSQL warehouse"):
            client.warehouse.use_connection("pg-down")
        client.connections.create_or_update(
            WorkspaceConnection(name="not-pg", type="synapse", target="https://synapse-workspace.dev.azuresynapse.net")
        )
        with pytest.raises(BadRequestError, match="not-pg is a synapse connection, not postgresql"):
            client.warehouse.use_connection("not-pg")
        assert client.warehouse.settings().engine == "duckdb"
        assert client.warehouse.read_table("dbo.Kept").num_rows == 1
