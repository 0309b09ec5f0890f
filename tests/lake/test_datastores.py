"""Datastores on a real server: abfss:// and azureml:// URIs resolve to registered folders, and jobs
read Delta tables through them as clean snapshots."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from lakebox import (
    BadRequestError,
    ConflictError,
    MLClient,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
    command,
)
from lakebox.entities import AzureDataLakeGen2Datastore, Datastore, Input, Output
from lakebox.lake import delta
from lakebox.workspace.layout import WorkspaceLayout
from tests.conftest import RunningWorkspace

LAKE_URI = "abfss://ml-data@testlake.dfs.core.windows.net/training/customer_features"


@pytest.fixture
def ml_client(shared_workspace: RunningWorkspace) -> Iterator[MLClient]:
    with MLClient(path=shared_workspace.layout.root) as client:
        yield client


def test_abfss_and_azureml_uris_resolve_to_the_same_folder(ml_client: MLClient, tmp_path: Path) -> None:
    lake = AzureDataLakeGen2Datastore(
        name="testlake", account_name="testlake", filesystem="ml-data", path=str(tmp_path)
    )
    stored = ml_client.datastores.create_or_update(lake)
    assert (stored.type, stored.container_name) == ("azure_data_lake_gen2", "ml-data")
    assert stored.local_path == str(tmp_path)
    resolver = ml_client.datastores.resolver()
    assert resolver.local_path(LAKE_URI) == tmp_path / "training" / "customer_features"
    assert resolver.local_path("azureml://datastores/testlake/paths/training/customer_features") == (
        tmp_path / "training" / "customer_features"
    )
    assert ml_client.datastores.get_default().local_path == str(
        ml_client.workspace_path / "datastores" / "workspaceblobstore"  # type: ignore[operator]
    )
    with pytest.raises(
        NotFoundError,
        match="no datastore is registered for container 'other' of storage account 'testlake'",
    ):
        resolver.resolve("abfss://other@testlake.dfs.core.windows.net/x")
    with pytest.raises(NotFoundError, match="datastore 'nope' in azureml://datastores/nope/paths/x not found"):
        resolver.resolve("azureml://datastores/nope/paths/x")
    with pytest.raises(ValidationError, match="leaves datastore testlake"):
        resolver.resolve("azureml://datastores/testlake/paths/../../etc")


def test_one_account_container_pair_per_datastore_and_the_default_stays(ml_client: MLClient, tmp_path: Path) -> None:
    ml_client.datastores.create_or_update(
        AzureDataLakeGen2Datastore(name="lake_a", account_name="acct", filesystem="fs", path=str(tmp_path / "a"))
    )
    with pytest.raises(ConflictError, match="container 'fs' of account 'acct' is already datastore 'lake_a'"):
        ml_client.datastores.create_or_update(
            AzureDataLakeGen2Datastore(name="lake_b", account_name="acct", filesystem="fs", path=str(tmp_path / "b"))
        )
    with pytest.raises(BadRequestError, match="cannot be deleted"):
        ml_client.datastores.delete("workspaceblobstore")
    ml_client.datastores.delete("lake_a")
    assert "lake_a" not in [d.name for d in ml_client.datastores.list()]
    with pytest.raises(ValidationError, match="String should match pattern"):
        ml_client.datastores.create_or_update(Datastore.model_construct(name="Bad Name", tags={}))


def test_job_reads_a_delta_table_input_as_one_clean_version(ml_client: MLClient, tmp_path: Path) -> None:
    store = ml_client.datastores.create_or_update(
        AzureDataLakeGen2Datastore(name="jobs_lake", account_name="jobslake", filesystem="data", path=str(tmp_path))
    )
    table = Path(store.local_path or "") / "features"
    delta.write_table(table, pa.table({"id": [1, 2, 3]}))
    delta.write_table(table, pa.table({"id": [10, 20]}), mode="overwrite")
    (tmp_path / "count.py").write_text(
        "import sys, pandas as pd\nprint('rows', sorted(pd.read_parquet(sys.argv[1])['id']))\n"
    )
    job = ml_client.jobs.create_or_update(
        command(
            code=tmp_path / "count.py",
            command="python count.py ${{inputs.features}}",
            inputs={"features": Input(type="uri_folder", path="abfss://data@jobslake.dfs.core.windows.net/features")},
        )
    )
    out = io.StringIO()
    ml_client.jobs.stream(job.name, out=out)
    assert "rows [10, 20]" in out.getvalue()


def test_jobs_need_their_identitys_blob_roles_on_the_datastores_they_use(
    fresh_workspace: WorkspaceLayout, tmp_path: Path
) -> None:
    with MLClient(path=fresh_workspace.root) as client:
        (fresh_workspace.default_datastore_dir / "in").mkdir()
        job = command(
            command="ls ${{inputs.data}} > ${{outputs.listing}}/files.txt",
            inputs={"data": Input(path="azureml://datastores/workspaceblobstore/paths/in")},
            outputs={"listing": Output()},
        )
        grant = next(
            a
            for a in client.role_assignments.list(assignee="workspace-managed-identity")
            if a.role == "Storage Blob Data Contributor"
        )
        client.role_assignments.delete(grant.id)
        with pytest.raises(PermissionDeniedError) as denied:
            client.jobs.create_or_update(job)
        assert denied.value.message.startswith(
            "workspace-managed-identity may not perform data action lakebox/workspaces/datastores/blobs/read on "
        )
        assert denied.value.message.split(" on ")[1].startswith(
            fresh_workspace.read_config().resource_id + "/datastores/workspaceblobstore"
        )
        assert client.jobs.list() == []
        client.role_assignments.create("workspace-managed-identity", "Storage Blob Data Reader")
        with pytest.raises(PermissionDeniedError, match="blobs/write"):
            client.jobs.create_or_update(job)  # its output goes to workspaceblobstore too
        client.role_assignments.create("workspace-managed-identity", "Storage Blob Data Contributor")
        client.jobs.stream(client.jobs.create_or_update(job).name, out=io.StringIO())
