"""``lakebox login`` and ``lakebox logout``: keep a token for a workspace, for the CLI and the SDK."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from lakebox.cli.common import WorkspaceRef, with_workspace
from lakebox.cli.output import err_console
from lakebox.client.ml_client import MLClient
from lakebox.errors import BadRequestError
from lakebox.identity import logins
from lakebox.identity.credentials import AccessToken


class _Given:
    def __init__(self, token: str) -> None:
        self.token = token

    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        return AccessToken(self.token, 2**31 - 1)


@with_workspace
def login(
    workspace: WorkspaceRef,
    token_stdin: Annotated[bool, typer.Option("--token-stdin", help="Read the token from standard input.")] = False,
) -> None:
    """Check a token against the workspace's server, then keep it (file mode 0600) for later calls."""
    if token_stdin:
        token = sys.stdin.readline().strip()
    elif sys.stdin.isatty():
        token = typer.prompt("Token", hide_input=True).strip()
    else:
        raise BadRequestError("give the token on standard input with --token-stdin")
    if not token:
        raise BadRequestError("the token is empty")
    with MLClient(_Given(token), path=workspace.layout().root) as client:
        who = client.identities.whoami()
        resource_id = client.workspaces.get().resource_id
    saved_to = logins.save_token(resource_id, token)
    err_console.print(f"Logged in to {client.workspace_name} as {who.name} ({who.kind}); token kept in {saved_to}")


@with_workspace
def logout(workspace: WorkspaceRef) -> None:
    """Forget the token kept for the workspace; calls fall back to the owner token, if this account has it."""
    forgotten = logins.forget_token(workspace.layout().read_config().resource_id)
    err_console.print("Logged out" if forgotten else "No saved login for this workspace")
