"""The SQL warehouse on a real server: loads, queries, SQL logins, read-only callers, and no file access."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from lakebox import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    MLClient,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from lakebox.cli.main import main as lakebox
from lakebox.client.warehouse import WarehouseOperations
from lakebox.lake import delta
from tests.conftest import RunningWorkspace


@pytest.fixture
def ml_client(shared_workspace: RunningWorkspace) -> Iterator[MLClient]:
    with MLClient(path=shared_workspace.layout.root) as client:
        yield client


def test_load_query_append_and_overwrite(ml_client: MLClient, tmp_path: Path) -> None:
    frame = pd.DataFrame({"CustomerID": [1, 2, 3], "Age": [25, 47, 70], "Income": [28000.0, 61000.0, None]})
    assert ml_client.warehouse.load("dbo.Customers", frame, mode="overwrite").rows == 3
    parquet = tmp_path / "more.parquet"
    pd.DataFrame({"Age": [33], "CustomerID": [4], "Income": [90000.0]}).to_parquet(parquet)
    loaded = ml_client.warehouse.load("dbo.Customers", parquet)
    assert (loaded.table, loaded.loaded, loaded.rows) == ("dbo.Customers", 1, 4)
    result = ml_client.warehouse.query("SELECT CustomerID, Income FROM dbo.Customers WHERE Age > 30 ORDER BY 1")
    assert result.to_pydict() == {"CustomerID": [2, 3, 4], "Income": [61000.0, None, 90000.0]}
    assert ("dbo", "Customers", 4) in {(t.schema_name, t.name, t.rows) for t in ml_client.warehouse.tables()}
    with pytest.raises(BadRequestError, match=r"cannot load into dbo\.Customers: .*Other"):
        ml_client.warehouse.load("dbo.Customers", pa.table({"Other": ["x"]}))
    assert ml_client.warehouse.read_table("dbo.Customers").num_rows == 4  # the failed load changed nothing


def test_sql_cannot_touch_the_servers_files(ml_client: MLClient) -> None:
    with pytest.raises(BadRequestError, match="file system operations are disabled"):
        ml_client.warehouse.query("SELECT * FROM read_csv('/etc/hostname')")
    with pytest.raises(BadRequestError, match="configuration has been locked"):
        ml_client.warehouse.query("SET enable_external_access = true")


def test_sql_logins_read_with_the_right_password_only(ml_client: MLClient, shared_workspace: RunningWorkspace) -> None:
    ml_client.warehouse.load("dbo.Logins", pa.table({"x": [1, 2]}), mode="overwrite")
    ml_client.warehouse.create_login("analyst", "correct-horse-1", role="Warehouse Data Reader")
    with WarehouseOperations.connect(shared_workspace.url, "analyst", "correct-horse-1") as analyst:
        assert analyst.query("SELECT sum(x) AS total FROM dbo.Logins").to_pydict() == {"total": [3]}
        with pytest.raises(BadRequestError, match="read-only access runs one SELECT statement"):
            analyst.query("DROP TABLE dbo.Logins")
        with pytest.raises(BadRequestError, match="read-only access runs one SELECT statement"):
            analyst.query("SELECT 1; DROP TABLE dbo.Logins")
        with pytest.raises(BadRequestError, match="syntax error"):
            analyst.query("SELECT 1) ; DROP TABLE dbo.Logins; SELECT (1")  # no way out of a wrapper
        with pytest.raises(PermissionDeniedError, match="warehouse/tables/write"):
            analyst.load("dbo.Logins", pa.table({"x": [3]}))
    started = time.monotonic()
    with (
        WarehouseOperations.connect(shared_workspace.url, "analyst", "wrong-password") as intruder,
        pytest.raises(AuthenticationError, match="login failed for SQL login 'analyst'"),
    ):
        intruder.query("SELECT 1")
    with (
        WarehouseOperations.connect(shared_workspace.url, "nobody", "wrong-password") as intruder,
        pytest.raises(AuthenticationError, match="login failed for SQL login 'nobody'"),
    ):
        intruder.query("SELECT 1")
    assert time.monotonic() - started < 5
    with shared_workspace.http() as owner:
        basic_elsewhere = owner.get("/api/v1/workspace", headers={"Authorization": "Basic YW5hbHlzdDpjb3JyZWN0"})
        denied = owner.get("/api/v1/audit", params={"outcome": "denied", "limit": 20}).json()
    assert basic_elsewhere.status_code == 401
    assert any(entry["target"].endswith("/warehouse/query") for entry in denied)
    assert ml_client.warehouse.read_table("dbo.Logins").num_rows == 2


def test_weak_passwords_and_duplicate_logins_are_refused(ml_client: MLClient) -> None:
    with pytest.raises(ValidationError, match="at least 8 characters"):
        ml_client.warehouse.create_login("shorty", "short")
    ml_client.warehouse.create_login("dupe_login", "long-enough-1")
    with pytest.raises(ConflictError):
        ml_client.warehouse.create_login("dupe_login", "long-enough-2")
    assert "shorty" not in [i.name for i in ml_client.identities.list()]


def test_cli_sql_shorthand(shared_workspace: RunningWorkspace, capsys: pytest.CaptureFixture[str]) -> None:
    path = ["--path", str(shared_workspace.layout.root)]
    assert lakebox(["sql", "SELECT 40 + 2 AS answer", "-o", "json", *path]) == 0
    assert '"answer": 42' in capsys.readouterr().out


def test_copy_into_from_the_lake_reads_files_on_the_server(
    ml_client: MLClient, shared_workspace: RunningWorkspace
) -> None:
    store = shared_workspace.layout.default_datastore_dir
    pd.DataFrame({"id": [1, 2, 3]}).to_parquet(store / "copy.parquet")
    (store / "csvs").mkdir(exist_ok=True)
    (store / "csvs" / "a.csv").write_text("id,name\n1,x\n2,y\n")
    delta.write_table(store / "copy_delta", pa.table({"id": [7]}))
    delta.write_table(store / "copy_delta", pa.table({"id": [8, 9]}), mode="overwrite")

    copied = ml_client.warehouse.load("dbo.Copied", "azureml://datastores/workspaceblobstore/paths/copy.parquet")
    assert (copied.rows, copied.loaded) == (3, 3)
    appended = ml_client.warehouse.copy_into("dbo.Copied", "azureml://datastores/workspaceblobstore/paths/copy_delta")
    assert (appended.rows, appended.loaded) == (5, 2)  # the Delta table's current version only
    csv = ml_client.warehouse.copy_into(
        "dbo.CopiedCsv", "azureml://datastores/workspaceblobstore/paths/csvs", mode="overwrite"
    )
    assert ml_client.warehouse.read_table("dbo.CopiedCsv").to_pydict() == {"id": [1, 2], "name": ["x", "y"]}
    assert csv.rows == 2
    with pytest.raises(ValidationError, match="leaves datastore workspaceblobstore"):
        ml_client.warehouse.copy_into("dbo.Copied", "azureml://datastores/workspaceblobstore/paths/../../../etc")
    with pytest.raises(NotFoundError, match="does not exist"):
        ml_client.warehouse.copy_into("dbo.Copied", "azureml://datastores/workspaceblobstore/paths/missing")
    assert ml_client.warehouse.read_table("dbo.Copied").num_rows == 5


def test_copy_into_needs_blob_read_on_the_datastore(shared_workspace: RunningWorkspace) -> None:
    pd.DataFrame({"id": [1]}).to_parquet(shared_workspace.layout.default_datastore_dir / "guarded.parquet")
    _, token = shared_workspace.new_identity("Warehouse Data Contributor")
    with shared_workspace.http(token) as writer:
        denied = writer.post(
            "/api/v1/warehouse/tables/dbo.Guarded/copy",
            json={"source": "azureml://datastores/workspaceblobstore/paths/guarded.parquet"},
        )
    assert denied.status_code == 403
    assert "lakebox/workspaces/datastores/blobs/read" in denied.json()["message"]


def test_copy_into_never_follows_links_out_of_the_datastore(
    ml_client: MLClient, shared_workspace: RunningWorkspace, tmp_path: Path
) -> None:
    outside = tmp_path / "private.csv"
    outside.write_text("secret\nserver-file\n")
    linked = shared_workspace.layout.default_datastore_dir / "escape"
    linked.mkdir(exist_ok=True)
    (linked / "data.csv").symlink_to(outside)
    with pytest.raises(ValidationError, match="is outside the datastore"):
        ml_client.warehouse.copy_into("dbo.Escape", "azureml://datastores/workspaceblobstore/paths/escape")
    assert "Escape" not in {t.name for t in ml_client.warehouse.tables()}
