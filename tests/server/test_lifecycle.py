"""The server as a process: start, status, SIGKILL, start again with every piece of state intact."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from mlflow.tracking import MlflowClient

from lakebox.cli.main import main as lakebox
from lakebox.runtime.processes import pid_alive, wait_for_exit
from lakebox.server.process import read_record, server_status, start_server, stop_server
from lakebox.workspace.layout import WorkspaceLayout
from tests.conftest import RunningWorkspace, kill_server, wait_for


@pytest.mark.slow
def test_sigkill_and_restart_keeps_all_state(
    fresh_workspace: WorkspaceLayout, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(fresh_workspace.root)
    assert lakebox(["server", "status", "--path", path]) == 3
    assert lakebox(["server", "start", "--path", path, "-o", "json"]) == 0
    first = read_record(fresh_workspace)
    assert first is not None and first.host == "127.0.0.1"
    token = fresh_workspace.owner_token()
    headers = {"Authorization": f"Bearer {token}"}
    httpx.patch(f"{first.url}/api/v1/workspace", json={"tags": {"stage": "before-crash"}}, headers=headers)
    client = MlflowClient(tracking_uri=f"{first.url}/mlflow")
    os.environ["MLFLOW_TRACKING_TOKEN"] = token or ""
    try:
        experiment_id = client.create_experiment("survives")
        run_id = client.create_run(experiment_id).info.run_id
        client.log_metric(run_id, "loss", 0.25)
    finally:
        del os.environ["MLFLOW_TRACKING_TOKEN"]
    audit_before = httpx.get(f"{first.url}/api/v1/audit", params={"limit": 1000}, headers=headers).json()

    kill_server(fresh_workspace)
    assert not server_status(fresh_workspace).running
    assert lakebox(["server", "status", "--path", path]) == 3

    assert lakebox(["server", "start", "--path", path]) == 0
    second = read_record(fresh_workspace)
    assert second is not None and second.pid != first.pid
    with httpx.Client(base_url=second.url, headers=headers) as http:
        assert http.get("/api/v1/workspace").json()["tags"] == {"stage": "before-crash"}
        audit_after = http.get("/api/v1/audit", params={"limit": 1000}).json()
        assert audit_after[-len(audit_before) :] == audit_before
        assert http.get("/api/v1/audit/verify").json()["ok"] is True
    os.environ["MLFLOW_TRACKING_TOKEN"] = token or ""
    try:
        run = MlflowClient(tracking_uri=f"{second.url}/mlflow").get_run(run_id)
    finally:
        del os.environ["MLFLOW_TRACKING_TOKEN"]
    assert run.data.metrics == {"loss": 0.25}

    assert lakebox(["server", "stop", "--path", path]) == 0
    wait_for(lambda: not pid_alive(second.pid), 10, "the stopped server to end")
    assert read_record(fresh_workspace) is None


@pytest.mark.slow
def test_one_server_per_workspace(fresh_workspace: WorkspaceLayout, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(fresh_workspace.root)
    assert lakebox(["server", "start", "--path", path]) == 0
    record = read_record(fresh_workspace)
    assert record is not None
    capsys.readouterr()
    assert lakebox(["server", "start", "--path", path]) == 0
    assert f"Already running at {record.url} (pid {record.pid})" in capsys.readouterr().err
    second = subprocess.run(
        [sys.executable, "-m", "lakebox.server", "--path", path],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode == 1
    assert "a server is already running for this workspace" in second.stderr
    assert read_record(fresh_workspace) == record  # the loser did not overwrite the record


def test_port_in_use_is_a_clear_error(fresh_workspace: WorkspaceLayout, capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = lakebox(["server", "start", "--path", str(fresh_workspace.root), "--port", str(port)])
    assert code == 8
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err
    assert "Traceback" not in err.split("\n")[0]


def test_a_restarted_server_keeps_its_port_and_takes_another_when_it_is_taken(
    fresh_workspace: WorkspaceLayout,
) -> None:
    import socket

    first, _ = start_server(fresh_workspace)
    stop_server(fresh_workspace)
    again, _ = start_server(fresh_workspace)
    assert again.port == first.port  # URLs handed out before (scoring, identity endpoints) stay valid
    stop_server(fresh_workspace)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", first.port))
        taken.listen()
        moved, _ = start_server(fresh_workspace)
    assert moved.port != first.port


def test_stale_record_is_not_trusted(fresh_workspace: WorkspaceLayout, tmp_path: Path) -> None:
    fresh_workspace.server_record_file.write_text(
        '{"pid": 999999, "host": "127.0.0.1", "port": 1, "url": "http://127.0.0.1:1", '
        '"workspace_id": "x", "started_at": "2026-01-01T00:00:00Z"}'
    )
    assert server_status(fresh_workspace).running is False


def test_listening_socket_lets_asyncio_disable_nagle() -> None:
    """Accepted connections inherit the listener's protocol; asyncio sets TCP_NODELAY only for IPPROTO_TCP."""
    import socket

    from lakebox.runtime.sockets import bind_socket

    listener = bind_socket("127.0.0.1", 0)
    with listener, socket.create_connection(listener.getsockname()):
        accepted, _ = listener.accept()
        with accepted:
            assert accepted.proto == socket.IPPROTO_TCP


def test_exposure_beyond_loopback_needs_tls_or_insecure(
    fresh_workspace: WorkspaceLayout, capsys: pytest.CaptureFixture[str]
) -> None:
    path = ["--path", str(fresh_workspace.root)]
    assert lakebox(["server", "start", *path, "--host", "0.0.0.0"]) == 7
    assert "listening on 0.0.0.0 exposes the server beyond this machine" in capsys.readouterr().err
    assert lakebox(["server", "start", *path, "--tls-cert", "/tmp/only-a-cert.pem"]) == 7
    assert "give both --tls-cert and --tls-key" in capsys.readouterr().err
    assert read_record(fresh_workspace) is None


@pytest.mark.slow
def test_https_with_a_self_signed_certificate(fresh_workspace: WorkspaceLayout) -> None:
    from lakebox import MLClient

    assert lakebox(["server", "start", "--path", str(fresh_workspace.root), "--tls-self-signed"]) == 0
    record = read_record(fresh_workspace)
    assert record is not None and record.url.startswith("https://127.0.0.1:")
    assert record.tls_cert is not None and oct((record.tls_cert.parent / "key.pem").stat().st_mode & 0o777) == "0o600"
    with MLClient(path=fresh_workspace.root) as client:
        assert client.workspaces.get().mlflow_tracking_uri == record.url + "/mlflow"
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(record.url + "/health")  # not trusted by default: it is self-signed
    with pytest.raises(httpx.HTTPError):
        httpx.get(record.url.replace("https://", "http://") + "/health")


def test_api_sends_no_cors_headers(shared_workspace: RunningWorkspace) -> None:
    preflight = httpx.options(
        shared_workspace.url + "/api/v1/workspace",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "PATCH"},
    )
    assert "access-control-allow-origin" not in preflight.headers


def test_wait_for_exit_returns_as_the_process_ends_not_at_its_timeout() -> None:
    ending = subprocess.Popen(["sleep", "0.3"])
    lasting = subprocess.Popen(["sleep", "30"])
    try:
        started = time.monotonic()
        wait_for_exit(ending.pid, 10)
        assert time.monotonic() - started < 2 and ending.poll() is not None  # when it ended, not after 10 s
        started = time.monotonic()
        wait_for_exit(lasting.pid, 0.3)
        assert 0.25 < time.monotonic() - started < 2 and lasting.poll() is None
        ending.wait()
        started = time.monotonic()
        wait_for_exit(ending.pid, 10)  # reaped: gone
        assert time.monotonic() - started < 1
    finally:
        lasting.kill()
        lasting.wait()
