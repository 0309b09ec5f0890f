"""Every call needs a valid bearer token; failures are 401s with a clear message, audited, and leak nothing."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from lakebox.server.process import start_server
from lakebox.store.types import utcnow
from lakebox.workspace.layout import WorkspaceLayout
from lakebox.workspace.manager import open_stores
from tests.conftest import RunningWorkspace

PROTECTED = [
    ("GET", "/api/v1/workspace"),
    ("PATCH", "/api/v1/workspace"),
    ("GET", "/api/v1/audit"),
    ("GET", "/mlflow/api/2.0/mlflow/experiments/search?max_results=1"),
    ("POST", "/mlflow/api/2.0/mlflow/experiments/create"),
    ("GET", "/mlflow/"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_no_token_is_401_everywhere(shared_workspace: RunningWorkspace, method: str, path: str) -> None:
    response = httpx.request(method, shared_workspace.url + path, json={})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["code"] == "unauthenticated"
    assert "bearer token" in response.json()["message"]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Bearer lbx_not-a-real-token", "not valid"),
        ("Basic dXNlcjpwYXNz", "needs a bearer token"),
        ("Bearer", "needs a bearer token"),
    ],
)
def test_wrong_token_is_401(shared_workspace: RunningWorkspace, header: str, message: str) -> None:
    response = httpx.get(shared_workspace.url + "/api/v1/workspace", headers={"Authorization": header})
    assert response.status_code == 401
    assert message in response.json()["message"]


def test_health_and_openapi_are_public(shared_workspace: RunningWorkspace) -> None:
    health = httpx.get(shared_workspace.url + "/health").json()
    assert health["status"] == "ok"
    assert health["workspace_id"] == shared_workspace.record.workspace_id
    assert httpx.get(shared_workspace.url + "/openapi.json").status_code == 200


def test_expired_and_revoked_tokens_are_refused_at_once(shared_workspace: RunningWorkspace) -> None:
    stores = open_stores(shared_workspace.layout)
    try:
        owner = stores.identities.get_by_name(stores.audit.list(before_seq=2)[0].principal_name)
        expired = stores.identities.issue_token(owner.id, "expired", utcnow() - timedelta(seconds=1))
        revocable = stores.identities.issue_token(owner.id, "revocable")
        with shared_workspace.http(revocable) as client:
            assert client.get("/api/v1/workspace").status_code == 200
            with stores.db.engine.begin() as connection:
                connection.exec_driver_sql(
                    "UPDATE api_tokens SET revoked_at = CURRENT_TIMESTAMP WHERE name = 'revocable'"
                )
            revoked = client.get("/api/v1/workspace")
        assert (revoked.status_code, revoked.json()["message"]) == (401, "the bearer token has been revoked")
        with shared_workspace.http(expired) as client:
            response = client.get("/api/v1/workspace")
        assert (response.status_code, response.json()["message"]) == (401, "the bearer token has expired")
    finally:
        stores.close()


def test_denials_are_audited_without_the_token(shared_workspace: RunningWorkspace) -> None:
    secret_looking = "lbx_this-is-a-guess-that-must-never-be-logged"
    httpx.patch(
        shared_workspace.url + "/api/v1/workspace",
        headers={"Authorization": f"Bearer {secret_looking}"},
        json={"description": "nope"},
    )
    with shared_workspace.http() as client:
        denied = client.get("/api/v1/audit", params={"outcome": "denied", "limit": 5}).json()
        everything = client.get("/api/v1/audit", params={"limit": 1000}).text
    latest = denied[0]
    assert latest["principal_name"] == "anonymous"
    assert latest["status_code"] == 401
    assert latest["target"].endswith("/workspaces/ws-shared")
    assert secret_looking not in everything
    assert shared_workspace.token not in everything
    log = shared_workspace.layout.server_log_file.read_text()
    assert secret_looking not in log
    assert shared_workspace.token not in log


@pytest.mark.slow
def test_failed_attempts_are_limited_per_client(
    fresh_workspace: WorkspaceLayout, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LAKEBOX_AUTH_FAILURE_LIMIT failures a minute from one address; then 429 for that address only, audited."""
    monkeypatch.setenv("LAKEBOX_AUTH_FAILURE_LIMIT", "5")
    record, _ = start_server(fresh_workspace)
    owner_token = fresh_workspace.owner_token()
    attacker = httpx.Client(base_url=record.url, transport=httpx.HTTPTransport(local_address="127.0.0.2"), timeout=30)
    with attacker:
        statuses = [
            attacker.get("/api/v1/workspace", headers={"Authorization": f"Bearer lbx_guess{i}"}).status_code
            for i in range(6)
        ]
        assert statuses == [401] * 5 + [429]
        limited = attacker.get("/api/v1/workspace", headers={"Authorization": f"Bearer {owner_token}"})
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert limited.json()["code"] == "too_many_requests"
    with httpx.Client(base_url=record.url, headers={"Authorization": f"Bearer {owner_token}"}) as owner:
        assert owner.get("/api/v1/workspace").status_code == 200  # 127.0.0.1 is another client
        entries = owner.get("/api/v1/audit", params={"outcome": "denied", "limit": 5}).json()
    assert entries[0]["status_code"] == 429
    assert entries[0]["details"]["client"] == "127.0.0.2"
