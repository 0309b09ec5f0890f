"""Role-based access on a real server: every route and every MLflow call is checked, denials are 403s
that name the action and scope, and are audited; tokens never leak."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from lakebox import MLClient, PermissionDeniedError
from lakebox.cli.main import main as lakebox
from lakebox.workspace.defaults import SYSTEM_IDENTITY_NAME
from lakebox.workspace.manager import open_stores
from tests.conftest import RunningWorkspace

ISSUED: list[str] = []


def _identity(ws: RunningWorkspace, role: str | None, scope: str | None = None) -> tuple[str, str]:
    """A new user with ``role`` at ``scope`` and a token; returns (name, token)."""
    name, token = ws.new_identity(role, scope)
    ISSUED.append(token)
    return name, token


def test_reader_reads_but_cannot_write(shared_workspace: RunningWorkspace) -> None:
    name, token = _identity(shared_workspace, "Reader")
    scope = shared_workspace.layout.read_config().resource_id
    with shared_workspace.http(token) as reader:
        assert reader.get("/api/v1/workspace").status_code == 200
        assert reader.get("/api/v1/audit", params={"limit": 1}).status_code == 200
        denied = reader.patch("/api/v1/workspace", json={"description": "hijack"})
        assert reader.post("/mlflow/api/2.0/mlflow/experiments/search", json={"max_results": 1}).status_code == 200
        mlflow_denied = reader.post("/mlflow/api/2.0/mlflow/experiments/create", json={"name": "nope"})
    assert denied.status_code == 403
    body = denied.json()
    assert body["code"] == "permission_denied"
    assert body["message"] == (
        f"{name} may not perform action lakebox/workspaces/write on {scope}: no role assignment grants it"
    )
    assert body["details"] == {
        "action": "lakebox/workspaces/write",
        "scope": scope,
        "data_action": False,
    }
    assert mlflow_denied.status_code == 403
    assert "lakebox/workspaces/experiments/write" in mlflow_denied.json()["message"]
    with shared_workspace.http() as owner:
        audit = owner.get("/api/v1/audit", params={"principal": name, "outcome": "denied"}).json()
    assert {(e["action"], e["status_code"]) for e in audit} == {
        ("lakebox/workspaces/write", 403),
        ("lakebox/workspaces/experiments/write", 403),
    }


def test_contributor_cannot_grant_roles_or_manage_identities(shared_workspace: RunningWorkspace) -> None:
    _, token = _identity(shared_workspace, "Contributor")
    with shared_workspace.http(token) as contributor:
        assert contributor.patch("/api/v1/workspace", json={"description": "fine"}).status_code == 200
        escalate = contributor.post(
            "/api/v1/roleAssignments", json={"assignee": "anyone", "role": "Owner", "scope": None}
        )
        assert escalate.status_code == 403
        assert "lakebox/authorization/roleAssignments/write" in escalate.json()["message"]
        assert contributor.post("/api/v1/identities", json={"name": "sneaky"}).status_code == 403
        assert contributor.get("/api/v1/roleAssignments").status_code == 200


def test_assignment_applies_below_its_scope_not_above_or_beside(shared_workspace: RunningWorkspace) -> None:
    child_name, child_only = _identity(shared_workspace, "Reader", "endpoints/churn")
    _, group_wide = _identity(shared_workspace, "Reader", "/subscriptions/sub-shared/resourceGroups/rg-shared")
    with shared_workspace.http(child_only) as client:
        assert client.get("/api/v1/workspace").status_code == 403
    with shared_workspace.http(group_wide) as client:
        assert client.get("/api/v1/workspace").status_code == 200
    with shared_workspace.http() as owner:
        outside = owner.post(
            "/api/v1/roleAssignments",
            json={"assignee": child_name, "role": "Reader", "scope": "/subscriptions/other"},
        )
    assert (outside.status_code, outside.json()["code"]) == (400, "bad_request")


def test_role_assignment_list_filters_like_az(shared_workspace: RunningWorkspace) -> None:
    name, _ = _identity(shared_workspace, "Reader", "endpoints/filtered")
    with shared_workspace.http() as owner:
        at_child = owner.get("/api/v1/roleAssignments", params={"assignee": name}).json()
        assert [(a["role"], a["scope"].rsplit("/", 2)[-2:]) for a in at_child] == [
            ("Reader", ["endpoints", "filtered"])
        ]
        workspace_level = owner.get("/api/v1/roleAssignments", params={"scope": "endpoints/filtered"}).json()
        assert {a["principal_name"] for a in workspace_level} == {name}
        inherited = owner.get(
            "/api/v1/roleAssignments", params={"scope": "endpoints/filtered", "include_inherited": True}
        ).json()
        assert {"Owner", "Reader"} <= {a["role"] for a in inherited}


def test_token_lifecycle_and_revocation(shared_workspace: RunningWorkspace) -> None:
    name, token = _identity(shared_workspace, "Reader")
    with shared_workspace.http() as owner:
        listed = owner.get(f"/api/v1/identities/{name}/tokens")
        assert token not in listed.text
        [info] = listed.json()
        assert token.startswith(info["prefix"]) and info["revoked_at"] is None
        with shared_workspace.http(token) as user:
            assert user.get("/api/v1/workspace").status_code == 200
            assert owner.delete(f"/api/v1/identities/{name}/tokens/{info['id']}").status_code == 200
            revoked = user.get("/api/v1/workspace")
    assert (revoked.status_code, revoked.json()["message"]) == (401, "the bearer token has been revoked")


def test_self_service_tokens_need_no_role(shared_workspace: RunningWorkspace) -> None:
    _, token = _identity(shared_workspace, None)
    with shared_workspace.http(token) as nobody:
        assert nobody.get("/api/v1/workspace").status_code == 403
        assert nobody.get("/api/v1/identities/me").status_code == 200
        own = nobody.post("/api/v1/identities/me/tokens", json={"name": "second", "expires_in_days": 1})
    assert own.status_code == 201
    ISSUED.append(own.json()["token"])


def test_managed_identity_token_inside_a_process_and_after_it(shared_workspace: RunningWorkspace) -> None:
    """What the job runner will do for every job: grant, run the process with the endpoint, revoke."""
    stores = open_stores(shared_workspace.layout)
    try:
        system = stores.identities.get_by_name(SYSTEM_IDENTITY_NAME)
        grant_id, header = stores.identities.grant_process_identity(system.id, "job:test")
        script = textwrap.dedent(
            """
            import httpx, os
            from lakebox.identity import DefaultAzureCredential
            token = DefaultAzureCredential().get_token("https://management.azure.com/.default")
            print(f"Token acquired: {token.token[:20]}...")
            auth = {"Authorization": "Bearer " + token.token}
            me = httpx.get(os.environ["API"] + "/api/v1/identities/me", headers=auth)
            print(me.json()["name"], me.json()["kind"])
            print(token.token)
            """
        )
        env = {k: v for k, v in os.environ.items() if k not in ("LAKEBOX_TOKEN", "LAKEBOX_HOME")}
        env |= {
            "IDENTITY_ENDPOINT": shared_workspace.url + "/msi/token",
            "IDENTITY_HEADER": header,
            "API": shared_workspace.url,
        }
        run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr
        lines = run.stdout.splitlines()
        assert lines[0].startswith("Token acquired: lbx_")
        assert lines[1] == f"{SYSTEM_IDENTITY_NAME} managed_identity"
        job_token = lines[2]
        ISSUED.append(job_token)
        with shared_workspace.http(job_token) as job:
            assert job.get("/api/v1/workspace").status_code == 200  # AzureML Data Scientist by default
            assert job.post("/api/v1/identities", json={"name": "x"}).status_code == 403

        stores.identities.revoke_grant(grant_id)

        with shared_workspace.http(job_token) as job:
            after = job.get("/api/v1/workspace")
        assert (after.status_code, after.json()["message"]) == (
            401,
            "the bearer token belonged to a process that has finished",
        )
        again = httpx.get(
            shared_workspace.url + "/msi/token", params={"resource": "x"}, headers={"X-IDENTITY-HEADER": header}
        )
        assert again.status_code == 401
    finally:
        stores.close()


def test_login_switches_the_cli_and_sdk_identity(
    shared_workspace: RunningWorkspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    name, token = _identity(shared_workspace, "Reader")
    path = ["--path", str(shared_workspace.layout.root)]
    monkeypatch.setattr("sys.stdin", _Stdin(token + "\n"))
    assert lakebox(["login", *path, "--token-stdin"]) == 0
    assert f"as {name} (user)" in capsys.readouterr().err
    credentials = Path(os.environ["LAKEBOX_HOME"]) / "credentials.json"
    assert oct(credentials.stat().st_mode & 0o777) == "0o600"
    try:
        with MLClient(path=shared_workspace.layout.root) as client:
            assert client.identities.whoami().name == name
            with pytest.raises(PermissionDeniedError, match="lakebox/workspaces/write"):
                client.workspaces.begin_update(description="as reader")
        assert lakebox(["workspace", "show", *path]) == 0  # reads the folder, no API call
        assert lakebox(["identity", "create-user", "nope", *path]) == 4
        assert "may not perform action lakebox/authorization/identities/write" in capsys.readouterr().err
    finally:
        assert lakebox(["logout", *path]) == 0
    with MLClient(path=shared_workspace.layout.root) as client:
        assert client.identities.whoami().name != name


class _Stdin:
    def __init__(self, text: str) -> None:
        self._text = text

    def readline(self) -> str:
        return self._text

    def isatty(self) -> bool:
        return False


def test_zz_no_token_value_appears_in_logs_audit_or_listings(shared_workspace: RunningWorkspace) -> None:
    """Runs after the tests above (file order): every token they issued is searched for everywhere."""
    assert len(ISSUED) >= 5
    with shared_workspace.http() as owner:
        exposed = "\n".join(
            owner.get(path, params=params).text
            for path, params in [
                ("/api/v1/audit", {"limit": 1000}),
                ("/api/v1/identities", {}),
                ("/api/v1/roleAssignments", {}),
                ("/api/v1/workspace", {}),
            ]
        )
    log = shared_workspace.layout.server_log_file.read_text()
    for token in [*ISSUED, shared_workspace.token]:
        assert token not in exposed
        assert token not in log
