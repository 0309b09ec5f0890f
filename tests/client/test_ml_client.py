"""MLClient: the seed's constructor and from_config, server auto-start and reuse, typed errors, pollers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest

from lakebox import AuthenticationError, LROPoller, MLClient, NotFoundError, ValidationError
from lakebox.identity import AccessToken, DefaultAzureCredential
from lakebox.server.process import read_record, server_status
from lakebox.workspace.layout import WorkspaceLayout
from tests.conftest import RunningWorkspace


class _StaticCredential:
    def __init__(self, token: str) -> None:
        self.token = token

    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        return AccessToken(self.token, 2**31)


@pytest.mark.slow
def test_seed_constructor_starts_the_server_then_reuses_it(fresh_workspace: WorkspaceLayout) -> None:
    assert not server_status(fresh_workspace).running
    first = MLClient(
        credential=DefaultAzureCredential(),
        subscription_id="sub-a",
        resource_group_name="rg-a",
        workspace_name="ws-fresh",
    )
    record = read_record(fresh_workspace)
    assert record is not None and first.base_url == record.url
    assert first.workspaces.get().name == "ws-fresh"

    second = MLClient(DefaultAzureCredential(), "sub-a", "rg-a", "ws-fresh")
    assert read_record(fresh_workspace) == record
    assert second.identities.whoami().name == first.identities.whoami().name
    first.close()
    second.close()


def test_from_config_in_a_project_folder(
    shared_workspace: RunningWorkspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(shared_workspace.layout.config_file, project / "config.json")
    monkeypatch.chdir(project)
    with MLClient.from_config(DefaultAzureCredential()) as client:
        assert client.base_url == shared_workspace.url
        assert client.workspace_name == "ws-shared"
    with MLClient.from_config(path=shared_workspace.layout.root) as client:
        assert client.workspace_path == shared_workspace.layout.root


def test_from_config_without_config_says_so(home: Path) -> None:
    with pytest.raises(NotFoundError, match=r"no config\.json in .* or any folder above it"):
        MLClient.from_config()


def test_remote_endpoint_from_config(shared_workspace: RunningWorkspace, tmp_path: Path) -> None:
    config = json.loads(shared_workspace.layout.config_file.read_text()) | {"endpoint": shared_workspace.url}
    (tmp_path / "config.json").write_text(json.dumps(config))
    with MLClient.from_config(_StaticCredential(shared_workspace.token), path=tmp_path) as client:
        assert client.workspace_path is None
        assert client.workspaces.get().id == shared_workspace.record.workspace_id


def test_errors_come_back_as_lakebox_classes(shared_workspace: RunningWorkspace) -> None:
    with pytest.raises(NotFoundError, match="found no workspace 'nope'"):
        MLClient(DefaultAzureCredential(), "sub-shared", "rg-shared", "nope")
    with MLClient(_StaticCredential("lbx_wrong"), endpoint=shared_workspace.url) as client:
        with pytest.raises(AuthenticationError, match="not valid") as caught:
            client.workspaces.get()
        assert isinstance(caught.value.__cause__, httpx.HTTPStatusError)
        assert caught.value.__cause__.response.status_code == 401
    with MLClient(path=shared_workspace.layout.root) as client, pytest.raises(ValidationError, match="limit"):
        client.audit.list(limit=5000)


def test_begin_update_returns_a_poller(shared_workspace: RunningWorkspace) -> None:
    with MLClient(path=shared_workspace.layout.root) as client:
        workspace = client.workspaces.get()
        workspace.tags = {"owner": "ml-team"}
        poller = client.workspaces.begin_update(workspace)
        assert isinstance(poller, LROPoller)
        assert poller.done() and poller.status() == "Succeeded"
        assert poller.result().tags == {"owner": "ml-team"}
        assert client.workspaces.get().tags == {"owner": "ml-team"}


def test_poller_waits_and_times_out() -> None:
    states = iter([(False, None), (False, None), (True, "done")])
    poller: LROPoller[str] = LROPoller(lambda: next(states), interval=0.01)
    assert poller.result(timeout=5) == "done"
    never: LROPoller[str] = LROPoller(lambda: (False, None), interval=0.01)
    never.wait(timeout=0.05)
    assert not never.done()
    with pytest.raises(Exception, match="did not finish"):
        never.result(timeout=0.05)


def test_sdk_calls_only_routes_the_server_declares(shared_workspace: RunningWorkspace) -> None:
    calls: list[tuple[str, str]] = []

    class Recording(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            calls.append((request.method.lower(), request.url.path))
            return super().handle_request(request)

    with MLClient(path=shared_workspace.layout.root, transport=Recording()) as client:
        client.workspaces.get()
        client.workspaces.begin_update(description="routes").result()
        client.audit.list(limit=1)
        client.audit.verify()
        client.identities.whoami()
        client.identities.browser_login_url()
    paths = httpx.get(shared_workspace.url + "/openapi.json").json()["paths"]
    assert len(calls) == 6
    for method, path in calls:
        assert method in paths.get(path, {}), f"SDK calls {method.upper()} {path}, which the server does not declare"
