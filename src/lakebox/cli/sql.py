"""``lakebox sql "SELECT ..."``, ``lakebox sql load`` and ``lakebox sql-login create``: the SQL warehouse."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lakebox.cli.common import WorkspaceRef, with_workspace
from lakebox.cli.output import OutputFormat, OutputOption, err_console, render
from lakebox.cli.vault import read_value
from lakebox.entities.warehouse import LoadMode

app = typer.Typer(help="SQL on the workspace's warehouse (DuckDB), and loading files into its tables.")
login_app = typer.Typer(help="SQL logins: a name and password for the warehouse.", no_args_is_help=True)


@app.command("query")
@with_workspace
def query(
    workspace: WorkspaceRef,
    sql: Annotated[str, typer.Argument(help='One SQL statement, e.g. "SELECT count(*) FROM dbo.CustomerData".')],
    max_rows: Annotated[int, typer.Option(min=1, help="Rows to print at most.")] = 100,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Run SQL and print the result."""
    with workspace.client() as client:
        result = client.warehouse.query(sql)
    render(result.slice(0, max_rows).to_pylist(), output, columns=result.column_names)
    if result.num_rows > max_rows:
        err_console.print(f"({result.num_rows} rows; {max_rows} shown)")


@app.command("load")
@with_workspace
def load(
    workspace: WorkspaceRef,
    file: Annotated[Path, typer.Argument(exists=True, help="A .csv or .parquet file, Parquet folder or Delta table.")],
    table: Annotated[str, typer.Option("--table", "-t", help="schema.table, e.g. dbo.CustomerData.")],
    mode: Annotated[LoadMode, typer.Option(help="append, overwrite or create.")] = "append",
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Load a file into a warehouse table."""
    with workspace.client() as client:
        render(client.warehouse.load(table, file, mode=mode), output)


@app.command("tables")
@with_workspace
def tables(workspace: WorkspaceRef, output: OutputOption = OutputFormat.TABLE) -> None:
    """List warehouse tables."""
    with workspace.client() as client:
        render([t.model_dump(by_alias=True) for t in client.warehouse.tables()], output)


@login_app.command("create")
@with_workspace
def create_login(
    workspace: WorkspaceRef,
    name: Annotated[str, typer.Option("--name", "-n", help="The login's name, e.g. sqladminuser.")],
    password_file: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="Read the password here (default: stdin).")
    ] = None,
    reader: Annotated[bool, typer.Option("--reader", help="Read-only (Warehouse Data Reader).")] = False,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Create a SQL login (Warehouse Data Contributor, or Reader with --reader)."""
    password = read_value(None, password_file, prompt="Password")
    role = "Warehouse Data Reader" if reader else "Warehouse Data Contributor"
    with workspace.client() as client:
        render(client.warehouse.create_login(name, password, role), output)
