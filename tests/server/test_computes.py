"""Compute clusters through the SDK (the seed's own code), the REST API and the CLI."""

from __future__ import annotations

import json

import pytest

from lakebox import MLClient, NotFoundError, ValidationError
from lakebox.cli.main import main as lakebox
from lakebox.entities import ComputeCluster
from lakebox.identity import DefaultAzureCredential
from tests.conftest import RunningWorkspace


def _client(ws: RunningWorkspace) -> MLClient:
    return MLClient(
        credential=DefaultAzureCredential(),
        subscription_id="sub-shared",
        resource_group_name="rg-shared",
        workspace_name="ws-shared",
    )


def test_seed_compute_cluster(shared_workspace: RunningWorkspace) -> None:
    with _client(shared_workspace) as ml_client:
        compute_cluster = ComputeCluster(
            name="ml-compute-cluster",
            size="STANDARD_DS3_V2",
            min_instances=0,
            max_instances=4,
            idle_time_before_scale_down=300,
        )
        created = ml_client.compute.begin_create_or_update(compute_cluster).result()
        assert (created.size, created.max_instances, created.provisioning_state) == ("Standard_DS3_v2", 4, "Succeeded")
        assert ml_client.compute.get("ml-compute-cluster").idle_time_before_scale_down == 300

        compute_cluster.max_instances = 2
        assert ml_client.compute.begin_create_or_update(compute_cluster).result().max_instances == 2
        assert [c.name for c in ml_client.compute.list()].count("ml-compute-cluster") == 1

        ml_client.compute.begin_delete("ml-compute-cluster").result()
        with pytest.raises(NotFoundError, match="compute 'ml-compute-cluster' not found"):
            ml_client.compute.get("ml-compute-cluster")


def test_bad_compute_is_refused_and_nothing_is_stored(shared_workspace: RunningWorkspace) -> None:
    with _client(shared_workspace) as ml_client:
        unknown = r"unknown compute size 'Standard_Huge'; sizes: Standard_B1s, .*Standard_DS1_v2"
        with pytest.raises(ValidationError, match=unknown):
            ml_client.compute.begin_create_or_update(ComputeCluster(name="huge", size="Standard_Huge"))
        with pytest.raises(NotFoundError):
            ml_client.compute.get("huge")
    with pytest.raises(ValueError, match="min_instances"):
        ComputeCluster(name="bad", min_instances=3, max_instances=1)
    with shared_workspace.http() as http:
        mismatch = http.put("/api/v1/computes/one", json={"name": "other"})
        invalid = http.put("/api/v1/computes/x", json={"name": "x", "max_instances": 0})
    assert (mismatch.status_code, invalid.status_code) == (400, 422)


@pytest.mark.parametrize(
    ("role", "can_create"), [("Reader", False), ("AzureML Data Scientist", False), ("AzureML Compute Operator", True)]
)
def test_who_may_manage_compute(shared_workspace: RunningWorkspace, role: str, can_create: bool) -> None:
    name = "compute-" + role.lower().replace(" ", "-")
    with shared_workspace.http() as owner:
        owner.post("/api/v1/identities", json={"name": name})
        owner.post("/api/v1/roleAssignments", json={"assignee": name, "role": role})
        token = owner.post(f"/api/v1/identities/{name}/tokens", json={}).json()["token"]
    with shared_workspace.http(token) as user:
        assert user.get("/api/v1/computes").status_code == 200
        created = user.put(f"/api/v1/computes/{name[:32]}", json={"name": name[:32]})
    assert created.status_code == (201 if can_create else 403)


def test_compute_cli(shared_workspace: RunningWorkspace, capsys: pytest.CaptureFixture[str]) -> None:
    path = ["--path", str(shared_workspace.layout.root)]
    assert lakebox(["compute", "create", *path, "-n", "cpu-small", "--size", "standard_ds1_v2", "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["size"] == "Standard_DS1_v2"
    assert lakebox(["compute", "list", *path, "-o", "json"]) == 0
    assert "cpu-small" in {c["name"] for c in json.loads(capsys.readouterr().out)}
    assert lakebox(["compute", "delete", *path, "cpu-small"]) == 0
    assert lakebox(["compute", "show", *path, "cpu-small"]) == 5
