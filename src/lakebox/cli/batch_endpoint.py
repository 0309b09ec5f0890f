"""``lakebox batch-endpoint ...`` and ``lakebox batch-deployment ...``, after ``az ml``'s commands."""

from __future__ import annotations

from typing import Annotated

import typer

from lakebox.cli.common import WorkspaceRef, with_workspace
from lakebox.cli.endpoints import EndpointCommands, FileOption
from lakebox.cli.output import OutputFormat, OutputOption, render
from lakebox.entities import Input, Output
from lakebox.serving.spec_file import load_batch_deployment_file, load_batch_endpoint_file

endpoint_app = typer.Typer(
    help="Batch endpoints: score files and tables in parallel mini-batches.", no_args_is_help=True
)
deployment_app = typer.Typer(help="Deployments of batch endpoints: a model and how it scores.", no_args_is_help=True)
ENDPOINT_COLUMNS = ["name", "defaults", "scoring_uri", "provisioning_state"]
DEPLOYMENT_COLUMNS = ["name", "endpoint_name", "model", "compute", "provisioning_state"]
JOB_COLUMNS = ["name", "display_name", "status", "created_at", "error"]
_SHARED = EndpointCommands(
    endpoints=lambda client: client.batch_endpoints,
    deployments=lambda client: client.batch_deployments,
    endpoint_noun="batch endpoint",
    deployment_noun="batch deployment",
    endpoint_columns=ENDPOINT_COLUMNS,
    deployment_columns=DEPLOYMENT_COLUMNS,
)

_SHARED.create_endpoint(endpoint_app, load_batch_endpoint_file, help="Create or update a batch endpoint from its YAML.")
_SHARED.list_endpoints(endpoint_app, help="List batch endpoints.")
_SHARED.show_endpoint(endpoint_app, help="Show a batch endpoint.")
_SHARED.delete_endpoint(endpoint_app, help="Delete a batch endpoint and its deployments.")


@endpoint_app.command("invoke")
@with_workspace
def invoke(
    workspace: WorkspaceRef,
    name: str,
    input: Annotated[str, typer.Option("--input", "-i", help="A file, a folder, a Delta table, or warehouse:dbo.T.")],
    input_type: Annotated[str, typer.Option(help="uri_folder or uri_file.")] = "uri_folder",
    deployment_name: Annotated[str | None, typer.Option("--deployment-name", "-d")] = None,
    output_path: Annotated[
        str | None, typer.Option(help="azureml://datastores/<store>/paths/<path> for score.")
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="A setting override, e.g. mini_batch_size=20.")
    ] = None,
    stream: Annotated[bool, typer.Option("--stream", help="Follow the job's log until it ends.")] = False,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Start a batch scoring job on the endpoint (its default deployment unless one is named)."""
    overrides = dict(_pair(item) for item in set_ or [])
    outputs = {"score": Output(path=output_path)} if output_path else None
    with workspace.client() as client:
        job = client.batch_endpoints.invoke(
            name,
            input=Input.model_validate({"type": input_type, "path": input}),
            deployment_name=deployment_name,
            params_override=overrides,
            outputs=outputs,
        )
        if stream:
            job = client.jobs.stream(job.name)
        render(job, output, columns=JOB_COLUMNS)


def _pair(item: str) -> tuple[str, str]:
    key, separator, value = item.partition("=")
    if not separator:
        raise typer.BadParameter(f"expected setting=value, got {item!r}")
    return key, value


@endpoint_app.command("list-jobs")
@with_workspace
def list_jobs(workspace: WorkspaceRef, name: str, output: OutputOption = OutputFormat.TABLE) -> None:
    """The endpoint's scoring jobs, newest first."""
    with workspace.client() as client:
        render(client.batch_endpoints.list_jobs(name), output, columns=JOB_COLUMNS)


@deployment_app.command("create")
@with_workspace
def create_deployment(
    workspace: WorkspaceRef,
    file: FileOption,
    set_default: Annotated[bool, typer.Option("--set-default", help="Make it the endpoint's default.")] = False,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Create or update a batch deployment from its YAML."""
    deployment = load_batch_deployment_file(file)
    with workspace.client() as client:
        created = client.batch_deployments.begin_create_or_update(deployment).result()
        if set_default:
            endpoint = client.batch_endpoints.get(deployment.endpoint_name)
            endpoint.defaults = {"deployment_name": deployment.name}
            client.batch_endpoints.begin_create_or_update(endpoint).result()
        render(created, output, columns=DEPLOYMENT_COLUMNS)


_SHARED.list_deployments(deployment_app, help="List a batch endpoint's deployments.")
_SHARED.show_deployment(deployment_app, help="Show a batch deployment with its settings.")
_SHARED.delete_deployment(deployment_app, help="Delete a batch deployment (not the default while others remain).")
