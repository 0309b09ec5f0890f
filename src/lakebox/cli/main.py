"""The ``lakebox`` command: groups, global flags, and how errors become one line and an exit code.

Exit codes scripts can rely on:
    0 success
    1 failed (any other error; `audit verify` on a broken chain)
    2 usage error
    3 server not running (`server status`)
    4 not authenticated, not permitted, or locked out after failed attempts
    5 not found
    6 conflict (exists already, in use)
    7 invalid input
    8 unavailable (server or database unreachable)
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from lakebox import __version__
from lakebox.cli import (
    audit,
    batch_endpoint,
    compute,
    datastore,
    identity,
    job,
    linked_service,
    login,
    model,
    online_endpoint,
    pipeline,
    role,
    schedule,
    server,
    spark_pool,
    sql,
    vault,
    workspace,
)
from lakebox.cli.output import err_console
from lakebox.errors import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    LakeboxError,
    NotFoundError,
    PermissionDeniedError,
    TooManyRequestsError,
    UnavailableError,
    ValidationError,
)

EXIT_CODES: dict[type[LakeboxError], int] = {
    AuthenticationError: 4,
    PermissionDeniedError: 4,
    TooManyRequestsError: 4,
    NotFoundError: 5,
    ConflictError: 6,
    ValidationError: 7,
    BadRequestError: 7,
    UnavailableError: 8,
}

app = typer.Typer(
    name="lakebox",
    help="lakebox: ML workspaces, jobs, models and endpoints on your machine or cluster.",
    epilog="Exit codes: 0 ok, 1 failed, 2 usage, 3 server not running, 4 auth, 5 not found, "
    "6 conflict, 7 invalid input, 8 unavailable.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(workspace.app, name="workspace")
app.add_typer(server.app, name="server")
app.add_typer(compute.app, name="compute")
app.add_typer(datastore.app, name="datastore")
app.add_typer(linked_service.app, name="linked-service")
app.add_typer(job.app, name="job")
app.add_typer(schedule.app, name="schedule")
app.add_typer(model.app, name="model")
app.add_typer(online_endpoint.endpoint_app, name="online-endpoint")
app.add_typer(online_endpoint.deployment_app, name="online-deployment")
app.add_typer(batch_endpoint.endpoint_app, name="batch-endpoint")
app.add_typer(batch_endpoint.deployment_app, name="batch-deployment")
app.add_typer(pipeline.app, name="pipeline")
app.add_typer(audit.app, name="audit")
app.add_typer(identity.app, name="identity")
app.add_typer(role.app, name="role")
app.add_typer(vault.vault_app, name="vault")
app.add_typer(sql.app, name="sql")
app.add_typer(spark_pool.app, name="spark-pool")
app.add_typer(sql.login_app, name="sql-login")
app.add_typer(vault.secret_app, name="secret")
app.command("login")(login.login)
app.command("logout")(login.logout)


def _show_version(value: bool) -> None:
    if value:
        print(f"lakebox {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Options that apply to every command."""


def _sql_shorthand(args: list[str]) -> list[str]:
    """``lakebox sql "SELECT ..."`` is ``lakebox sql query "SELECT ..."``."""
    position = next((i for i, arg in enumerate(args) if not arg.startswith("-")), None)
    if position is None or args[position] != "sql" or position + 1 >= len(args):
        return args
    following = args[position + 1]
    if following.startswith("-") or following in {command.name for command in sql.app.registered_commands}:
        return args
    return [*args[: position + 1], "query", *args[position + 1 :]]


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (also used by tests)."""
    args = _sql_shorthand(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        app(args=args, prog_name="lakebox")  # standalone: usage errors print themselves and exit 2
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    except LakeboxError as exc:
        if debug:
            err_console.print_exception()
        err_console.print(f"[red]error:[/red] {exc.message}", markup=True, highlight=False)
        return EXIT_CODES.get(type(exc), 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
