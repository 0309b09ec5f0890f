"""The commands ``online-endpoint``/``batch-endpoint`` and ``online-deployment``/``batch-deployment`` share:
an endpoint's create, list, show and delete, a deployment's list, show and delete. Each command is added
by its own call, so that a module keeps its commands in the order its help lists them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from lakebox.cli.common import WorkspaceRef, with_workspace
from lakebox.cli.output import OutputFormat, OutputOption, err_console, render
from lakebox.client._deployments import DeploymentOperations, EndpointOperations
from lakebox.client.ml_client import MLClient

FileOption = Annotated[Path, typer.Option("--file", "-f", help="Azure ML CLI v2 YAML.")]
EndpointNameOption = Annotated[str, typer.Option("--endpoint-name", "-e")]


@dataclass(frozen=True)
class EndpointCommands:
    """One kind of endpoint: its client's operation groups, its nouns in messages, its table columns."""

    endpoints: Callable[[MLClient], EndpointOperations[Any]]
    deployments: Callable[[MLClient], DeploymentOperations[Any]]
    endpoint_noun: str
    deployment_noun: str
    endpoint_columns: list[str]
    deployment_columns: list[str]

    def create_endpoint(self, app: typer.Typer, load: Callable[[Path], Any], help: str) -> None:
        @app.command("create", help=help)
        @with_workspace
        def create(workspace: WorkspaceRef, file: FileOption, output: OutputOption = OutputFormat.TABLE) -> None:
            endpoint = load(file)
            with workspace.client() as client:
                created = self.endpoints(client).begin_create_or_update(endpoint).result()
                render(created, output, columns=self.endpoint_columns)

    def list_endpoints(self, app: typer.Typer, help: str) -> None:
        @app.command("list", help=help)
        @with_workspace
        def list_(workspace: WorkspaceRef, output: OutputOption = OutputFormat.TABLE) -> None:
            with workspace.client() as client:
                render(self.endpoints(client).list(), output, columns=self.endpoint_columns)

    def show_endpoint(self, app: typer.Typer, help: str) -> None:
        @app.command("show", help=help)
        @with_workspace
        def show(workspace: WorkspaceRef, name: str, output: OutputOption = OutputFormat.TABLE) -> None:
            with workspace.client() as client:
                render(self.endpoints(client).get(name), output)

    def delete_endpoint(self, app: typer.Typer, help: str) -> None:
        @app.command("delete", help=help)
        @with_workspace
        def delete(workspace: WorkspaceRef, name: str) -> None:
            with workspace.client() as client:
                self.endpoints(client).begin_delete(name).result()
            err_console.print(f"Deleted {self.endpoint_noun} {name}")

    def list_deployments(self, app: typer.Typer, help: str) -> None:
        @app.command("list", help=help)
        @with_workspace
        def list_(
            workspace: WorkspaceRef, endpoint_name: EndpointNameOption, output: OutputOption = OutputFormat.TABLE
        ) -> None:
            with workspace.client() as client:
                render(self.deployments(client).list(endpoint_name), output, columns=self.deployment_columns)

    def show_deployment(self, app: typer.Typer, help: str) -> None:
        @app.command("show", help=help)
        @with_workspace
        def show(
            workspace: WorkspaceRef,
            name: str,
            endpoint_name: EndpointNameOption,
            output: OutputOption = OutputFormat.TABLE,
        ) -> None:
            with workspace.client() as client:
                render(self.deployments(client).get(name, endpoint_name), output)

    def delete_deployment(self, app: typer.Typer, help: str) -> None:
        @app.command("delete", help=help)
        @with_workspace
        def delete(workspace: WorkspaceRef, name: str, endpoint_name: EndpointNameOption) -> None:
            with workspace.client() as client:
                self.deployments(client).begin_delete(name, endpoint_name).result()
            err_console.print(f"Deleted {self.deployment_noun} {endpoint_name}/{name}")
