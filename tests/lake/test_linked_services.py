"""Linked services from Synapse/ADF JSON: the seed's files resolve to this workspace, its vault,
datastore and warehouse; secrets live in the vault, and bad references are named."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lakebox import BadRequestError, MLClient, NotFoundError, ValidationError
from lakebox.cli.main import main as lakebox
from lakebox.entities import AzureDataLakeGen2Datastore, Vault
from lakebox.lake.linked_services import LinkedServices
from lakebox.workspace.manager import open_stores
from tests.conftest import RunningWorkspace

SEED_LINKED_SERVICES = Path(__file__).resolve().parents[2] / "examples" / "seed" / "linkedService"


@pytest.fixture
def ml_client(shared_workspace: RunningWorkspace) -> Iterator[MLClient]:
    with MLClient(path=shared_workspace.layout.root) as client:
        client.vaults.create_or_update(Vault(name="keyvault"))
        client.secrets.set("keyvault", "sql-password", "linked-sql-password-3")
        yield client


def _service(name: str, kind: str, **properties: object) -> dict[str, object]:
    return {"name": name, "properties": {"type": kind, "typeProperties": properties}}


def test_the_seeds_linked_services_resolve(
    ml_client: MLClient, shared_workspace: RunningWorkspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ml_client.datastores.create_or_update(
        AzureDataLakeGen2Datastore(name="seedlake", account_name="datalake", filesystem="seedfs", path=str(tmp_path))
    )
    seed_workspace = shared_workspace.layout.read_config().workspace_name
    ml_service = (SEED_LINKED_SERVICES / "AzureMLLinkedService.json").read_text()
    (tmp_path / "AzureMLLinkedService.json").write_text(ml_service.replace("ml-workspace-prod", seed_workspace))
    for name in ("AzureKeyVault.json", "SynapseSQLPool.json", "DataLake.json"):
        (tmp_path / name).write_text((SEED_LINKED_SERVICES / name).read_text())
    assert lakebox(["linked-service", "create", "-f", str(tmp_path), "--path", str(shared_workspace.layout.root)]) == 0
    capsys.readouterr()

    names = ("AzureMLLinkedService", "AzureKeyVault", "SynapseSQLPool", "DataLake")
    targets = {name: ml_client.linked_services.target(name) for name in names}
    ml = targets["AzureMLLinkedService"]
    assert (ml.kind, ml.target) == ("workspace", seed_workspace)
    assert (targets["AzureKeyVault"].kind, targets["AzureKeyVault"].target) == ("vault", "keyvault")
    assert targets["SynapseSQLPool"].secrets == {"password": "keyvault/sql-password"}
    assert (targets["DataLake"].kind, targets["DataLake"].target) == ("datastore", "datalake")
    stores = open_stores(shared_workspace.layout)  # what the pipeline engine does inside the server
    try:
        services = LinkedServices(stores, seed_workspace)
        assert services.secret(stores.linked_services.get("SynapseSQLPool"), "password") == "linked-sql-password-3"
    finally:
        stores.close()


def test_inline_secrets_move_to_the_vault(ml_client: MLClient, shared_workspace: RunningWorkspace) -> None:
    stored = ml_client.linked_services.create_or_update(
        _service(
            "SalesPostgres",
            "PostgreSql",
            connectionString="host=127.0.0.1;port=5432;database=sales;uid=etl;Password=pg-inline-secret-9",
        )
    )
    assert "pg-inline-secret-9" not in stored.model_dump_json()
    assert stored.properties.type_properties["password"]["vault"] == "linked-services"
    assert ml_client.linked_services.target("SalesPostgres").target == "postgresql://etl@127.0.0.1:5432/sales"
    ml_client.linked_services.create_or_update(
        _service(
            "Blob", "AzureSqlDW", connectionString="Server=x", password={"type": "SecureString", "value": "sw-42-pw"}
        )
    )
    with shared_workspace.http() as owner:
        assert "sw-42-pw" not in owner.get("/api/v1/linkedServices").text
    assert ml_client.secrets.get("linked-services", "Blob-password").value == "sw-42-pw"


def test_bad_definitions_are_named(ml_client: MLClient) -> None:
    dangling = {"type": "AzureKeyVaultSecret", "store": {"referenceName": "NoSuchVault"}, "secretName": "x"}
    with pytest.raises(BadRequestError, match="refers to linked service 'NoSuchVault', which does not exist"):
        ml_client.linked_services.create_or_update(_service("Dangling", "AzureSqlDW", password=dangling))
    with pytest.raises(BadRequestError, match="type 'Ftp' is not one of"):
        ml_client.linked_services.create_or_update(_service("Ftp", "Ftp"))
    with pytest.raises(NotFoundError, match="no datastore is registered for storage account 'unknownacct'"):
        ml_client.linked_services.create_or_update(
            _service("Lake2", "AzureBlobFS", url="https://unknownacct.dfs.core.windows.net/")
        )
    with pytest.raises(NotFoundError, match="vault 'novault' not found"):
        ml_client.linked_services.create_or_update(
            _service("Kv2", "AzureKeyVault", baseUrl="https://novault.vault.azure.net/")
        )
    with pytest.raises(BadRequestError, match="names ML workspace 'other-ws'"):
        ml_client.linked_services.create_or_update(_service("Ml2", "AzureMLService", mlWorkspaceName="other-ws"))
    with pytest.raises(ValidationError, match="not a linked service definition"):
        ml_client.linked_services.create_or_update({"name": "x"})
    assert {s.name for s in ml_client.linked_services.list()}.isdisjoint({"Dangling", "Ftp", "Lake2", "Kv2", "Ml2"})
