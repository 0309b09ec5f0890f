"""The REST API: OpenAPI document, workspace resource, errors as {code, message, details}, audit trail."""

from __future__ import annotations

import httpx
from openapi_spec_validator import validate

from tests.conftest import RunningWorkspace


def test_openapi_document_is_valid_and_lists_the_api(shared_workspace: RunningWorkspace) -> None:
    document = httpx.get(shared_workspace.url + "/openapi.json").json()
    validate(document)
    paths = document["paths"]
    assert {"get", "patch"} <= set(paths["/api/v1/workspace"])
    assert "get" in paths["/api/v1/audit"]
    assert "get" in paths["/api/v1/audit/verify"]
    assert "/health" in paths
    assert not any(path.startswith("/mlflow") for path in paths)


def test_workspace_get_and_update(shared_workspace: RunningWorkspace) -> None:
    with shared_workspace.http() as client:
        workspace = client.get("/api/v1/workspace").json()
        assert workspace["name"] == "ws-shared"
        assert workspace["mlflow_tracking_uri"] == shared_workspace.url + "/mlflow"
        updated = client.patch("/api/v1/workspace", json={"description": "churn models", "tags": {"team": "risk"}})
        assert updated.status_code == 200
        assert (updated.json()["description"], updated.json()["tags"]) == ("churn models", {"team": "risk"})
        assert client.get("/api/v1/workspace").json()["tags"] == {"team": "risk"}
        [entry] = client.get("/api/v1/audit", params={"limit": 1}).json()
    assert entry["action"] == "lakebox/workspaces/write"
    assert entry["outcome"] == "succeeded"
    assert entry["details"] == {"method": "PATCH", "client": "127.0.0.1"}
    assert "churn models" not in str(entry)


def test_bad_input_is_422_and_changes_nothing(shared_workspace: RunningWorkspace) -> None:
    with shared_workspace.http() as client:
        before = client.get("/api/v1/workspace").json()
        response = client.patch("/api/v1/workspace", json={"tags": {"x": 1}, "unknown": True})
        after = client.get("/api/v1/workspace").json()
        [entry] = client.get("/api/v1/audit", params={"limit": 1}).json()
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert {e["location"] for e in body["details"]["errors"]} == {"body.tags.x", "body.unknown"}
    assert after == before
    assert (entry["outcome"], entry["status_code"]) == ("failed", 422)


def test_unknown_route_and_malformed_json(shared_workspace: RunningWorkspace) -> None:
    with shared_workspace.http() as client:
        missing = client.get("/api/v1/no-such-thing")
        malformed = client.patch(
            "/api/v1/workspace", content=b"{not json", headers={"content-type": "application/json"}
        )
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    assert (malformed.status_code, malformed.json()["code"]) == (422, "validation_error")


def test_audit_verify_through_the_api(shared_workspace: RunningWorkspace) -> None:
    with shared_workspace.http() as client:
        result = client.get("/api/v1/audit/verify").json()
    assert result["ok"] is True
    assert result["entries_checked"] >= 1
