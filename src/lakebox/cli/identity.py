"""``lakebox identity create-user|create-sp|list|delete`` and ``lakebox identity token create|list|revoke``."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from lakebox.cli.common import WorkspaceRef, with_workspace
from lakebox.cli.output import OutputFormat, OutputOption, err_console, render
from lakebox.errors import BadRequestError

app = typer.Typer(help="Users, service principals and their API tokens.", no_args_is_help=True)
tokens = typer.Typer(help="API tokens: created once, listed without values, revoked at once.", no_args_is_help=True)
app.add_typer(tokens, name="token")
IDENTITY_COLUMNS = ["name", "kind", "id", "created_at"]
TOKEN_COLUMNS = ["id", "name", "prefix", "created_at", "expires_at", "revoked_at"]


@app.command("create-user")
@with_workspace
def create_user(workspace: WorkspaceRef, name: str, output: OutputOption = OutputFormat.TABLE) -> None:
    """Create a user identity (give it roles with `lakebox role assignment create`)."""
    with workspace.client() as client:
        render(client.identities.create_user(name), output, columns=IDENTITY_COLUMNS)


@app.command("create-sp")
@with_workspace
def create_sp(workspace: WorkspaceRef, name: str, output: OutputOption = OutputFormat.TABLE) -> None:
    """Create a service principal, for automation such as a CI pipeline."""
    with workspace.client() as client:
        render(client.identities.create_service_principal(name), output, columns=IDENTITY_COLUMNS)


@app.command("list")
@with_workspace
def list_(workspace: WorkspaceRef, output: OutputOption = OutputFormat.TABLE) -> None:
    """List identities."""
    with workspace.client() as client:
        render(client.identities.list(), output, columns=IDENTITY_COLUMNS)


@app.command("delete")
@with_workspace
def delete(
    workspace: WorkspaceRef,
    name: str,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete an identity with its tokens and role assignments."""
    if not yes:
        if not sys.stdin.isatty():
            raise BadRequestError(f"deleting identity {name!r} needs --yes when not run interactively")
        typer.confirm(f"Delete identity {name!r}, its tokens and its role assignments?", abort=True)
    with workspace.client() as client:
        client.identities.delete(name)
    err_console.print(f"Deleted identity {name}")


@tokens.command("create")
@with_workspace
def create_token(
    workspace: WorkspaceRef,
    identity: Annotated[str | None, typer.Option(help="Whose token (default: yours).")] = None,
    name: Annotated[str, typer.Option(help="A label to recognise the token by.")] = "api",
    expires_in_days: Annotated[float, typer.Option(min=0.001, help="Lifetime in days.")] = 90,
    no_expiry: Annotated[bool, typer.Option("--no-expiry", help="A token that never expires.")] = False,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Create a token. Its value is printed this once and cannot be shown again."""
    with workspace.client() as client:
        created = client.identities.create_token(
            identity, name=name, expires_in_days=None if no_expiry else expires_in_days
        )
    render(created, output, columns=[*TOKEN_COLUMNS[:5], "token"])
    err_console.print("Store the token now: lakebox keeps only its hash.")


@tokens.command("list")
@with_workspace
def list_tokens(
    workspace: WorkspaceRef,
    identity: Annotated[str, typer.Option(help="Whose tokens.")],
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """List an identity's tokens, without their values."""
    with workspace.client() as client:
        render(client.identities.list_tokens(identity), output, columns=TOKEN_COLUMNS)


@tokens.command("revoke")
@with_workspace
def revoke_token(
    workspace: WorkspaceRef,
    token_id: str,
    identity: Annotated[str, typer.Option(help="Whose token.")],
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Revoke a token: the next call with it gets 401."""
    with workspace.client() as client:
        render(client.identities.revoke_token(identity, token_id), output, columns=TOKEN_COLUMNS)
