"""``lakebox job create|list|show|stream|cancel``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lakebox.cli.common import WorkspaceRef, with_workspace
from lakebox.cli.output import OutputFormat, OutputOption, err_console, render
from lakebox.entities import JobStatus
from lakebox.jobs.spec_file import load_job_file

app = typer.Typer(help="Command and sweep jobs: submit, follow, cancel.", no_args_is_help=True)
TRIAL_COLUMNS = ["name", "status", "tags", "error"]
COLUMNS = ["name", "type", "display_name", "status", "compute", "environment", "created_at", "error"]


@app.command("create")
@with_workspace
def create(
    workspace: WorkspaceRef,
    file: Annotated[
        Path, typer.Option("--file", "-f", help="Azure ML CLI v2 job YAML (type: command, spark or sweep).")
    ],
    stream: Annotated[bool, typer.Option("--stream", help="Follow the job's output until it ends.")] = False,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Submit a job from its YAML file."""
    job = load_job_file(file)
    with workspace.client() as client:
        submitted = client.jobs.create_or_update(job)
        if stream:
            err_console.print(f"Job {submitted.name} submitted; streaming its output")
            submitted = client.jobs.stream(submitted.name)
    render(submitted, output, columns=COLUMNS)


@app.command("list")
@with_workspace
def list_(
    workspace: WorkspaceRef,
    status: Annotated[JobStatus | None, typer.Option(help="Only jobs in this status.")] = None,
    parent: Annotated[str | None, typer.Option("--parent", help="Only the trials of this sweep job.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """List jobs, newest first (a sweep's trials with ``--parent``)."""
    with workspace.client() as client:
        jobs = client.jobs.list(status=status, parent_job_name=parent, limit=limit)
        render(jobs, output, columns=TRIAL_COLUMNS if parent else COLUMNS)


@app.command("show")
@with_workspace
def show(workspace: WorkspaceRef, name: str, output: OutputOption = OutputFormat.TABLE) -> None:
    """Show a job with its metrics, params and outputs."""
    with workspace.client() as client:
        render(client.jobs.get(name), output)


@app.command("stream")
@with_workspace
def stream(workspace: WorkspaceRef, name: str) -> None:
    """Print the job's output until it ends; exits 1 if the job failed or was canceled."""
    with workspace.client() as client:
        client.jobs.stream(name)


@app.command("cancel")
@with_workspace
def cancel(workspace: WorkspaceRef, name: str) -> None:
    """Cancel a job and end its process tree."""
    with workspace.client() as client:
        job = client.jobs.begin_cancel(name).result()
    err_console.print(f"Job {job.name} {job.status}")
