"""``lakebox vault ...`` and ``lakebox secret ...``: vaults and the versioned secrets inside them."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from lakebox.cli.common import WorkspaceRef, with_workspace
from lakebox.cli.output import OutputFormat, OutputOption, console, err_console, render
from lakebox.entities import Vault
from lakebox.errors import BadRequestError
from lakebox.vault.crypto import new_master_key

vault_app = typer.Typer(help="Vaults holding versioned, encrypted secrets.", no_args_is_help=True)
secret_app = typer.Typer(help="Secrets in a vault: set, show, list, delete.", no_args_is_help=True)
VaultOption = Annotated[str, typer.Option("--vault-name", "--vault", help="The vault, e.g. keyvault.")]
NameOption = Annotated[str, typer.Option("--name", "-n", help="The secret's name.")]
SECRET_COLUMNS = ["name", "version", "enabled", "content_type", "created_on", "created_by"]


@vault_app.command("create")
@with_workspace
def create_vault(
    workspace: WorkspaceRef,
    name: Annotated[str, typer.Option("--name", "-n", help="Vault name: 3-24 letters, digits and dashes.")],
    description: Annotated[str | None, typer.Option(help="What the vault is for.")] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Create a vault (or update its description)."""
    with workspace.client() as client:
        render(client.vaults.create_or_update(Vault(name=name, description=description)), output)


@vault_app.command("list")
@with_workspace
def list_vaults(workspace: WorkspaceRef, output: OutputOption = OutputFormat.TABLE) -> None:
    """List vaults."""
    with workspace.client() as client:
        render(client.vaults.list(), output, columns=["name", "description", "created_on"])


@vault_app.command("delete")
@with_workspace
def delete_vault(workspace: WorkspaceRef, name: Annotated[str, typer.Option("--name", "-n")]) -> None:
    """Delete a vault and every secret in it."""
    with workspace.client() as client:
        client.vaults.delete(name)
    err_console.print(f"Deleted vault {name}")


@vault_app.command("new-master-key")
def master_key() -> None:
    """Print a fresh master key for LAKEBOX_MASTER_KEY (keep it where you keep your other keys)."""
    console.print(new_master_key(), soft_wrap=True)


def read_value(value: str | None, file: Path | None, prompt: str = "Secret value") -> str:
    """A secret from ``--value``, a file, or stdin (a hidden prompt on a terminal)."""
    if value is not None and file is not None:
        raise BadRequestError("give --value or --file, not both")
    if value is not None:
        return value
    if file is not None:
        return file.read_text().removesuffix("\n")
    if sys.stdin.isatty():
        return str(typer.prompt(prompt, hide_input=True))
    return sys.stdin.read().removesuffix("\n")


@secret_app.command("set")
@with_workspace
def set_secret(
    workspace: WorkspaceRef,
    vault: VaultOption,
    name: NameOption,
    value: Annotated[
        str | None, typer.Option(help="The value (visible in your shell history; prefer --file or stdin).")
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", exists=True, dir_okay=False, help="Read the value here.")
    ] = None,
    content_type: Annotated[str | None, typer.Option(help="A hint such as text/plain or password.")] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Set a new version of a secret (value from --value, --file, or stdin / a hidden prompt)."""
    secret = read_value(value, file)
    with workspace.client() as client:
        render(client.secrets.set(vault, name, secret, content_type=content_type), output, columns=SECRET_COLUMNS)


@secret_app.command("show")
@with_workspace
def show_secret(
    workspace: WorkspaceRef,
    vault: VaultOption,
    name: NameOption,
    version: Annotated[str | None, typer.Option(help="A version (default: the current one).")] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Show a secret's value (needs the Key Vault Secrets User role; the read is audited)."""
    with workspace.client() as client:
        secret = client.secrets.get(vault, name, version)
    render({"name": secret.name, "value": secret.value, **secret.properties.model_dump(mode="json")}, output)


@secret_app.command("list")
@with_workspace
def list_secrets(
    workspace: WorkspaceRef,
    vault: VaultOption,
    name: Annotated[str | None, typer.Option("--name", "-n", help="List this secret's versions instead.")] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """List the secrets of a vault (or one secret's versions), never their values."""
    with workspace.client() as client:
        items = client.secrets.list_versions(vault, name) if name else client.secrets.list(vault)
    render(items, output, columns=SECRET_COLUMNS)


@secret_app.command("disable")
@with_workspace
def disable_secret(
    workspace: WorkspaceRef,
    vault: VaultOption,
    name: NameOption,
    version: Annotated[str | None, typer.Option(help="A version (default: the current one).")] = None,
    enable: Annotated[bool, typer.Option("--enable", help="Enable it again instead.")] = False,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Disable a secret version (reads of it are refused), or enable it again with --enable."""
    with workspace.client() as client:
        render(client.secrets.update(vault, name, version, enabled=enable), output, columns=SECRET_COLUMNS)


@secret_app.command("delete")
@with_workspace
def delete_secret(workspace: WorkspaceRef, vault: VaultOption, name: NameOption) -> None:
    """Delete a secret with all its versions."""
    with workspace.client() as client:
        client.secrets.delete(vault, name)
    err_console.print(f"Deleted secret {name} from vault {vault}")
