"""``lakebox server start|stop|status|ui``: the workspace's control-plane server."""

from __future__ import annotations

import webbrowser
from pathlib import Path
from typing import Annotated

import typer

from lakebox.cli.common import WorkspaceRef, with_workspace
from lakebox.cli.output import OutputFormat, OutputOption, console, err_console, render
from lakebox.runtime.sockets import DEFAULT_HOST
from lakebox.server.process import Listen, run_server, server_status, start_server, stop_server

app = typer.Typer(help="Start, stop and inspect the workspace's server.", no_args_is_help=True)
EXIT_NOT_RUNNING = 3


@app.command("start")
@with_workspace
def start(
    workspace: WorkspaceRef,
    host: Annotated[str, typer.Option(help="Address to listen on; beyond loopback it needs TLS.")] = DEFAULT_HOST,
    port: Annotated[int, typer.Option(help="Port to listen on (0: a free one).")] = 0,
    tls_cert: Annotated[Path | None, typer.Option(help="PEM certificate (chain) to serve HTTPS with.")] = None,
    tls_key: Annotated[Path | None, typer.Option(help="PEM private key of --tls-cert.")] = None,
    tls_self_signed: Annotated[
        bool, typer.Option(help="Serve HTTPS with a generated self-signed certificate.")
    ] = False,
    insecure: Annotated[bool, typer.Option(help="Serve plain HTTP even beyond loopback.")] = False,
    foreground: Annotated[bool, typer.Option("--foreground", help="Serve in this process until Ctrl-C.")] = False,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Start the server in the background (or say where it already runs)."""
    layout = workspace.layout()
    listen = Listen(host, port, tls_cert, tls_key, tls_self_signed, insecure)
    if foreground:
        run_server(layout, listen)
        return
    with err_console.status("Starting the server …"):
        record, started = start_server(layout, listen)
    if not started:
        err_console.print(f"Already running at {record.url} (pid {record.pid})")
    render(record, output)


@app.command("stop")
@with_workspace
def stop(
    workspace: WorkspaceRef,
) -> None:
    """Stop the server (SIGTERM, then SIGKILL after 15 s)."""
    record = stop_server(workspace.layout())
    err_console.print(f"Stopped the server (pid {record.pid})" if record else "No server was running")


@app.command("status")
@with_workspace
def status(
    workspace: WorkspaceRef,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Show whether the server runs; exits with code 3 when it does not."""
    current = server_status(workspace.layout())
    render(current, output)
    if not current.running:
        raise typer.Exit(EXIT_NOT_RUNNING)


@app.command("ui")
@with_workspace
def ui(
    workspace: WorkspaceRef,
    open_browser: Annotated[bool, typer.Option("--open/--no-open", help="Open the browser.")] = True,
) -> None:
    """Sign a browser in and open the MLflow UI (the link works once, within two minutes)."""
    with workspace.client() as client:
        url = client.identities.browser_login_url("/mlflow/")
    console.print(url)
    if open_browser:
        webbrowser.open(url)
