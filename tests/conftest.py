"""Shared fixtures: an isolated LAKEBOX_HOME, workspaces, and real servers on 127.0.0.1."""

from __future__ import annotations

import itertools
import os
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from lakebox import MLClient
from lakebox.runtime.processes import pid_alive
from lakebox.server.process import ServerRecord, read_record, start_server, stop_server
from lakebox.workspace.layout import WorkspaceLayout
from lakebox.workspace.manager import create_workspace
from lakebox.workspace.registry import WorkspaceRegistry
from tests.postgres import PostgresServer

_identity_numbers = itertools.count()
T = TypeVar("T")


# An MLflow model's requirements, given so saving it skips MLflow's inference of them (about 5 s each).
SKLEARN = ["scikit-learn"]


def kill_server(layout: WorkspaceLayout) -> None:
    """SIGKILL the workspace's server, as a crash would, and wait for it to be gone."""
    record = read_record(layout)
    assert record is not None
    os.kill(record.pid, signal.SIGKILL)
    wait_for(lambda: not pid_alive(record.pid), 10, "the killed server to end")


def wait_for(check: Callable[[], T], seconds: float, what: str) -> T:
    """``check()`` once it is truthy; fails naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not (result := check()):
        assert time.monotonic() < deadline, f"timed out after {seconds} s waiting for {what}"
        time.sleep(0.05)
    return result


@dataclass
class RunningWorkspace:
    layout: WorkspaceLayout
    record: ServerRecord
    token: str

    @property
    def url(self) -> str:
        return self.record.url

    def http(self, token: str | None = None) -> httpx.Client:
        """An HTTP client of the server, authenticated as the owner unless another token is given."""
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {token or self.token}"}, timeout=30)

    def new_identity(self, role: str | None, scope: str | None = None) -> tuple[str, str]:
        """A new user holding ``role`` at ``scope`` (the workspace by default); returns (name, token)."""
        name = f"user-{next(_identity_numbers)}"
        with self.http() as owner:
            assert owner.post("/api/v1/identities", json={"name": name}).status_code == 201
            if role:
                grant = owner.post("/api/v1/roleAssignments", json={"assignee": name, "role": role, "scope": scope})
                assert grant.status_code == 201, grant.text
            token = owner.post(f"/api/v1/identities/{name}/tokens", json={"name": "t"}).json()["token"]
        return name, token


@pytest.fixture(scope="session")
def session_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One LAKEBOX_HOME for the session's shared servers (set in os.environ so subprocesses inherit it)."""
    home = tmp_path_factory.mktemp("lakebox-home")
    # Every test talks from 127.0.0.1 and many check 401s on purpose: keep them under the lockout.
    overrides = {"LAKEBOX_HOME": str(home), "LAKEBOX_AUTH_FAILURE_LIMIT": "100000"}
    previous = {key: os.environ.get(key) for key in overrides}
    os.environ.update(overrides)
    yield home
    for key, value in previous.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh LAKEBOX_HOME for one test, and a current folder with no config.json above it."""
    home = tmp_path / "home"
    monkeypatch.setenv("LAKEBOX_HOME", str(home))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return home


@pytest.fixture(scope="session")
def shared_workspace(session_home: Path) -> Iterator[RunningWorkspace]:
    """A workspace with its server running, shared by tests that do not restart it."""
    layout, _ = create_workspace("sub-shared", "rg-shared", "ws-shared", registry=WorkspaceRegistry(session_home))
    record, _ = start_server(layout)
    token = layout.owner_token()
    assert token
    yield RunningWorkspace(layout, record, token)
    stop_server(layout)


@pytest.fixture(scope="session")
def client(shared_workspace: RunningWorkspace) -> Iterator[MLClient]:
    """A client of the shared workspace, as its owner."""
    with MLClient(path=shared_workspace.layout.root) as ml_client:
        yield ml_client


@pytest.fixture
def fresh_workspace(home: Path) -> Iterator[WorkspaceLayout]:
    """A new workspace in the test's own LAKEBOX_HOME; any server it gets is stopped afterwards."""
    layout, _ = create_workspace("sub-a", "rg-a", "ws-fresh")
    yield layout
    stop_server(layout)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the session, started on first use."""
    server = PostgresServer()
    server.start()
    yield server
    server.stop()
