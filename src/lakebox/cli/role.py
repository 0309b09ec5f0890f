"""``lakebox role assignment create|list|delete`` and ``lakebox role definition list|create|delete``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from lakebox.cli.common import WorkspaceRef, with_workspace
from lakebox.cli.output import OutputFormat, OutputOption, err_console, render
from lakebox.errors import BadRequestError, ValidationError

app = typer.Typer(help="Roles, and who holds them at which scope.", no_args_is_help=True)
assignments = typer.Typer(help="Role assignments (as `az role assignment`).", no_args_is_help=True)
definitions = typer.Typer(help="Built-in and custom roles (as `az role definition`).", no_args_is_help=True)
app.add_typer(assignments, name="assignment")
app.add_typer(definitions, name="definition")
ASSIGNMENT_COLUMNS = ["id", "principal_name", "role", "scope"]
ScopeOption = Annotated[
    str | None, typer.Option(help="Absolute scope, or relative to the workspace (endpoints/E); default: the workspace.")
]


@assignments.command("create")
@with_workspace
def create_assignment(
    workspace: WorkspaceRef,
    assignee: Annotated[str, typer.Option(help="Identity name or id.")],
    role: Annotated[str, typer.Option(help="Role name, e.g. Reader or 'Key Vault Secrets User'.")],
    scope: ScopeOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Assign a role to an identity at a scope (and everything below it)."""
    with workspace.client() as client:
        render(client.role_assignments.create(assignee, role, scope), output, columns=ASSIGNMENT_COLUMNS)


@assignments.command("list")
@with_workspace
def list_assignments(
    workspace: WorkspaceRef,
    assignee: Annotated[str | None, typer.Option(help="Only this identity's assignments.")] = None,
    scope: ScopeOption = None,
    include_inherited: Annotated[bool, typer.Option(help="Also assignments above the scope.")] = False,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """List role assignments, optionally for one assignee and at or below one scope."""
    with workspace.client() as client:
        found = client.role_assignments.list(assignee=assignee, scope=scope, include_inherited=include_inherited)
    render(found, output, columns=ASSIGNMENT_COLUMNS)


@assignments.command("delete")
@with_workspace
def delete_assignment(
    workspace: WorkspaceRef,
    ids: Annotated[str | None, typer.Option("--ids", help="The assignment's id.")] = None,
    assignee: Annotated[str | None, typer.Option(help="With --role: the assignee's assignment.")] = None,
    role: Annotated[str | None, typer.Option(help="With --assignee: which role.")] = None,
    scope: ScopeOption = None,
) -> None:
    """Delete an assignment by id, or by assignee, role and scope."""
    with workspace.client() as client:
        if ids is None:
            if not (assignee and role):
                raise BadRequestError("give --ids, or --assignee and --role (and --scope when not the workspace)")
            exact_scope = None if scope is not None else client.workspaces.get().resource_id
            matches = [
                a
                for a in client.role_assignments.list(assignee=assignee, scope=scope)
                if a.role.lower() == role.lower() and exact_scope in (None, a.scope)
            ]
            if len(matches) != 1:
                raise BadRequestError(f"{len(matches)} assignments match; use --ids")
            ids = matches[0].id
        deleted = client.role_assignments.delete(ids)
    err_console.print(f"Deleted {deleted.role} of {deleted.principal_name} at {deleted.scope}")


@definitions.command("list")
@with_workspace
def list_definitions(workspace: WorkspaceRef, output: OutputOption = OutputFormat.TABLE) -> None:
    """List roles and what each allows."""
    with workspace.client() as client:
        render(
            client.role_definitions.list(),
            output,
            columns=["name", "builtin", "actions", "not_actions", "data_actions", "description"],
        )


@definitions.command("create")
@with_workspace
def create_definition(
    workspace: WorkspaceRef,
    role_definition: Annotated[Path, typer.Option(help="Azure role JSON: roleName, actions, notActions, dataActions.")],
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Create or replace a custom role from its JSON file."""
    try:
        definition = json.loads(role_definition.expanduser().read_text())
    except (OSError, ValueError) as exc:
        raise ValidationError(f"cannot read {role_definition}: {exc}") from exc
    with workspace.client() as client:
        render(client.role_definitions.create_or_update(definition), output)


@definitions.command("delete")
@with_workspace
def delete_definition(workspace: WorkspaceRef, name: str) -> None:
    """Delete a custom role that nobody holds."""
    with workspace.client() as client:
        client.role_definitions.delete(name)
    err_console.print(f"Deleted role {name}")
