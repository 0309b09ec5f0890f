"""``lakebox pipeline ...``: Synapse/ADF pipelines from a folder as git keeps them, their runs and activity runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from lakebox.cli.common import WorkspaceRef, with_workspace
from lakebox.cli.output import OutputFormat, OutputOption, console, err_console, render

app = typer.Typer(help="Synapse/ADF pipelines: validate, publish, run, follow and rerun.", no_args_is_help=True)
RUN_COLUMNS = ["run_id", "pipeline_name", "status", "run_start", "duration_ms", "message"]
ACTIVITY_COLUMNS = ["path", "activity_name", "activity_type", "status", "attempt", "duration_ms", "error"]
FolderArgument = Annotated[Path, typer.Argument(help="A folder with pipeline/, dataset/, linkedService/, trigger/.")]


@app.command("validate")
@with_workspace
def validate(workspace: WorkspaceRef, folder: FolderArgument = Path(".")) -> None:
    """Check the folder's artifacts against the workspace; exit 1 listing every problem."""
    with workspace.client() as client:
        problems = client.pipelines.validate(folder)
    for problem in problems:
        err_console.print(f"[red]✗[/red] {problem}", highlight=False)
    if problems:
        raise typer.Exit(1)
    err_console.print(f"[green]✓[/green] {folder} is valid")


@app.command("publish")
@with_workspace
def publish(
    workspace: WorkspaceRef, folder: FolderArgument = Path("."), output: OutputOption = OutputFormat.TABLE
) -> None:
    """Publish the folder's linked services, datasets, pipelines and triggers (all of them, or none)."""
    with workspace.client() as client:
        render(client.pipelines.publish(folder), output)


@app.command("list")
@with_workspace
def list_pipelines(workspace: WorkspaceRef, output: OutputOption = OutputFormat.TABLE) -> None:
    """List published pipelines."""
    with workspace.client() as client:
        rows = [
            {
                "name": p.name,
                "activities": len(p.properties.get("activities") or []),
                "parameters": ", ".join(p.properties.get("parameters") or {}),
            }
            for p in client.pipelines.list()
        ]
    render(rows, output)


@app.command("run")
@with_workspace
def run(
    workspace: WorkspaceRef,
    name: str,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="name=value (JSON for arrays, objects).")
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait for the run to end; exit 1 if it did not succeed.")
    ] = False,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Run a published pipeline."""
    parameters = dict(_parameter(item) for item in param or [])
    with workspace.client() as client:
        started = client.pipelines.run(name, parameters)
        if not wait:
            render(started, output, columns=RUN_COLUMNS)
            return
        with err_console.status(f"Running {name} ({started.run_id}) …"):
            finished = client.pipelines.wait(started.run_id)
        render(finished, output, columns=RUN_COLUMNS)
    if finished.status != "Succeeded":
        raise typer.Exit(1)


def _parameter(item: str) -> tuple[str, Any]:
    key, separator, value = item.partition("=")
    if not separator:
        raise typer.BadParameter(f"expected name=value, got {item!r}")
    return key, value


@app.command("runs")
@with_workspace
def runs(
    workspace: WorkspaceRef,
    pipeline: Annotated[str | None, typer.Option("--pipeline", help="Only this pipeline's runs.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Pipeline runs, newest first."""
    with workspace.client() as client:
        render(client.pipelines.list_runs(pipeline, limit), output, columns=RUN_COLUMNS)


@app.command("show")
@with_workspace
def show(workspace: WorkspaceRef, run_id: str, output: OutputOption = OutputFormat.TABLE) -> None:
    """A run and its activity runs (inputs and outputs with -o json)."""
    with workspace.client() as client:
        found = client.pipelines.get_run(run_id)
        activities = client.pipelines.activity_runs(run_id)
    if output is OutputFormat.JSON:
        document = {"run": found.model_dump(mode="json"), "activities": [a.model_dump(mode="json") for a in activities]}
        console.print_json(json.dumps(document))
        return
    render(found, output, columns=RUN_COLUMNS)
    render(activities, output, columns=ACTIVITY_COLUMNS)


@app.command("cancel")
@with_workspace
def cancel(workspace: WorkspaceRef, run_id: str, output: OutputOption = OutputFormat.TABLE) -> None:
    """Cancel a run: activities in progress are cancelled, nothing more starts."""
    with workspace.client() as client:
        render(client.pipelines.cancel(run_id), output, columns=RUN_COLUMNS)


@app.command("rerun")
@with_workspace
def rerun(
    workspace: WorkspaceRef,
    run_id: str,
    from_failure: Annotated[bool, typer.Option("--from-failure/--all", help="Keep what succeeded, or run all.")] = True,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Run an ended run again, with the same parameters, in the same run group."""
    with workspace.client() as client:
        render(client.pipelines.rerun(run_id, from_failure=from_failure), output, columns=RUN_COLUMNS)
