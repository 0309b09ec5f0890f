"""Credentials: environment token, managed identity endpoint protocol, local workspace token, the chain."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from lakebox.errors import AuthenticationError
from lakebox.identity import DefaultAzureCredential, LocalWorkspaceCredential, ManagedIdentityCredential
from lakebox.workspace.manager import create_workspace


@pytest.fixture
def identity_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, object]]]:
    """A local token endpoint speaking the IDENTITY_ENDPOINT protocol; records what it was asked."""
    seen: list[dict[str, object]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = parse_qs(urlparse(self.path).query)
            seen.append({"header": self.headers.get("X-IDENTITY-HEADER"), **{k: v[0] for k, v in query.items()}})
            if self.headers.get("X-IDENTITY-HEADER") != "secret-header":
                self.send_response(401)
                self.end_headers()
                return
            body = json.dumps({"access_token": "lbx_managed", "expires_on": "1999999999"}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("IDENTITY_ENDPOINT", f"http://127.0.0.1:{server.server_address[1]}/msi/token")
    monkeypatch.setenv("IDENTITY_HEADER", "secret-header")
    yield seen
    server.shutdown()


def test_environment_token_comes_first(home: Path, monkeypatch: pytest.MonkeyPatch, identity_endpoint: list) -> None:
    monkeypatch.setenv("LAKEBOX_TOKEN", "lbx_from_env")
    assert DefaultAzureCredential().get_token("https://management.azure.com/.default").token == "lbx_from_env"
    assert identity_endpoint == []


def test_managed_identity_protocol(home: Path, identity_endpoint: list[dict[str, object]]) -> None:
    token = DefaultAzureCredential().get_token("https://management.azure.com/.default")
    assert (token.token, token.expires_on) == ("lbx_managed", 1999999999)
    assert identity_endpoint[-1] == {
        "header": "secret-header",
        "api-version": "2019-08-01",
        "resource": "https://management.azure.com",
    }
    ManagedIdentityCredential(client_id="my-uami").get_token("x/.default")
    assert identity_endpoint[-1]["client_id"] == "my-uami"


def test_managed_identity_refusal_is_an_authentication_error(
    identity_endpoint: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IDENTITY_HEADER", "wrong")
    with pytest.raises(AuthenticationError, match="endpoint answered 401"):
        ManagedIdentityCredential().get_token("x")


def test_local_workspace_token_by_scope_or_default(home: Path) -> None:
    first, _ = create_workspace("s", "rg", "first-ws")
    second, _ = create_workspace("s", "rg", "second-ws")
    scope = "/subscriptions/s/resourceGroups/rg/providers/lakebox/workspaces/second-ws/.default"
    assert DefaultAzureCredential().get_token(scope).token == second.owner_token()
    assert LocalWorkspaceCredential(first.root).get_token("any").token == first.owner_token()
    with pytest.raises(AuthenticationError, match="several workspaces match"):
        DefaultAzureCredential().get_token("https://management.azure.com/.default")


def test_no_credential_lists_every_attempt(home: Path) -> None:
    with pytest.raises(AuthenticationError) as caught:
        DefaultAzureCredential().get_token("https://management.azure.com/.default")
    message = caught.value.message
    assert "LAKEBOX_TOKEN is not set" in message
    assert "no managed identity endpoint" in message
    assert "LocalWorkspaceCredential: found no workspace in" in message
