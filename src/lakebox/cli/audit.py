"""``lakebox audit list|verify``."""

from __future__ import annotations

from typing import Annotated

import typer

from lakebox.cli.common import WorkspaceRef, with_workspace
from lakebox.cli.output import OutputFormat, OutputOption, err_console, render
from lakebox.entities import AuditOutcome

app = typer.Typer(help="Read and verify the workspace's audit log.", no_args_is_help=True)
EXIT_CHAIN_BROKEN = 1


@app.command("list")
@with_workspace
def list_(
    workspace: WorkspaceRef,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    before_seq: Annotated[int | None, typer.Option(help="Only entries older than this sequence number.")] = None,
    action: Annotated[str | None, typer.Option(help="Only this action, e.g. workspaces/write.")] = None,
    principal: Annotated[str | None, typer.Option(help="Only this identity's calls.")] = None,
    outcome: Annotated[AuditOutcome | None, typer.Option(help="Only this outcome.")] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """List audit entries, newest first."""
    with workspace.client() as client:
        entries = client.audit.list(
            limit=limit, before_seq=before_seq, action=action, principal=principal, outcome=outcome
        )
    render(
        entries, output, columns=["seq", "recorded_at", "principal_name", "action", "outcome", "status_code", "target"]
    )


@app.command("verify")
@with_workspace
def verify(
    workspace: WorkspaceRef,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Check the audit log's hash chain; exits with code 1 and names the first altered entry if broken."""
    with workspace.client() as client:
        result = client.audit.verify()
    render(result, output)
    if not result.ok:
        err_console.print(f"[red]audit log broken at entry {result.first_bad_seq}: {result.reason}[/red]")
        raise typer.Exit(EXIT_CHAIN_BROKEN)
