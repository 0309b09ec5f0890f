"""``lakebox online-endpoint ...`` and ``lakebox online-deployment ...``, after ``az ml``'s commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lakebox.cli.common import WorkspaceRef, with_workspace
from lakebox.cli.endpoints import EndpointCommands, EndpointNameOption, FileOption
from lakebox.cli.output import OutputFormat, OutputOption, console, err_console, render
from lakebox.entities.rollout import FINISHED, Rollout
from lakebox.mlops.spec_file import load_policy_file
from lakebox.serving.spec_file import load_deployment_file, load_endpoint_file

endpoint_app = typer.Typer(help="Online endpoints: scoring URIs, keys, traffic.", no_args_is_help=True)
deployment_app = typer.Typer(help="Deployments of online endpoints: models on worker processes.", no_args_is_help=True)
ENDPOINT_COLUMNS = ["name", "auth_mode", "traffic", "mirror_traffic", "scoring_uri", "provisioning_state"]
DEPLOYMENT_COLUMNS = [
    "name",
    "endpoint_name",
    "model",
    "instance_type",
    "instance_count",
    "provisioning_state",
    "error",
]
ROLLOUT_COLUMNS = [
    "name",
    "status",
    "metric",
    "production_score",
    "candidate_score",
    "deployment_name",
    "candidate_model",
    "reason",
]
_SHARED = EndpointCommands(
    endpoints=lambda client: client.online_endpoints,
    deployments=lambda client: client.online_deployments,
    endpoint_noun="endpoint",
    deployment_noun="deployment",
    endpoint_columns=ENDPOINT_COLUMNS,
    deployment_columns=DEPLOYMENT_COLUMNS,
)

_SHARED.create_endpoint(
    endpoint_app,
    load_endpoint_file,
    help="Create or update an endpoint from its YAML (name, auth_mode, description, tags, traffic).",
)


@endpoint_app.command("update")
@with_workspace
def update_endpoint(
    workspace: WorkspaceRef,
    name: Annotated[str, typer.Option("--name", "-n")],
    traffic: Annotated[str | None, typer.Option(help='Traffic split, e.g. "blue=90 green=10".')] = None,
    mirror_traffic: Annotated[str | None, typer.Option(help='Mirror share, e.g. "green=10".')] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Change an endpoint's traffic or mirror traffic."""
    with workspace.client() as client:
        endpoint = client.online_endpoints.get(name)
        changes = {"traffic": _split(traffic), "mirror_traffic": _split(mirror_traffic)}
        endpoint = endpoint.model_copy(update={k: v for k, v in changes.items() if v is not None})
        render(client.online_endpoints.begin_create_or_update(endpoint).result(), output, columns=ENDPOINT_COLUMNS)


def _split(value: str | None) -> dict[str, int] | None:
    if value is None:
        return None
    try:
        return {name: int(share) for name, share in (part.split("=", 1) for part in value.split())}
    except ValueError:
        raise typer.BadParameter(f"expected name=percent pairs, got {value!r}") from None


_SHARED.list_endpoints(endpoint_app, help="List endpoints.")
_SHARED.show_endpoint(endpoint_app, help="Show an endpoint.")
_SHARED.delete_endpoint(endpoint_app, help="Delete an endpoint and its deployments.")


@endpoint_app.command("get-credentials")
@with_workspace
def get_credentials(workspace: WorkspaceRef, name: str, output: OutputOption = OutputFormat.JSON) -> None:
    """The endpoint's keys (key auth) or a scoring token (aml_token auth)."""
    with workspace.client() as client:
        render(client.online_endpoints.get_keys(name), output)


@endpoint_app.command("regenerate-keys")
@with_workspace
def regenerate_keys(
    workspace: WorkspaceRef,
    name: str,
    key_type: Annotated[str, typer.Option(help="primary or secondary.")] = "primary",
) -> None:
    """Replace one of the endpoint's keys; the old one stops working at once."""
    with workspace.client() as client:
        client.online_endpoints.begin_regenerate_keys(name, key_type=key_type).result()
    err_console.print(f"Regenerated the {key_type} key of {name}")


@endpoint_app.command("invoke")
@with_workspace
def invoke(
    workspace: WorkspaceRef,
    name: str,
    request_file: Annotated[Path, typer.Option("--request-file", "-r", help="JSON request body.")],
    deployment_name: Annotated[str | None, typer.Option("--deployment-name", "-d")] = None,
) -> None:
    """Score a request on the endpoint (or one deployment) and print the answer."""
    with workspace.client() as client:
        console.print(client.online_endpoints.invoke(name, request_file, deployment_name), highlight=False)


@endpoint_app.command("deploy-if-better")
@with_workspace
def deploy_if_better(
    workspace: WorkspaceRef,
    file: Annotated[Path, typer.Option("--file", "-f", help="The policy's YAML (fields of DeployIfBetter).")],
    no_wait: Annotated[bool, typer.Option("--no-wait", help="Return once the rollout has started.")] = False,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Deploy a candidate model only if it scores better than production, shifting traffic in steps."""
    policy = load_policy_file(file)
    with workspace.client() as client:
        poller = client.online_endpoints.begin_deploy_if_better(policy)
        if not no_wait:
            with err_console.status("Evaluating the candidate …") as status:
                while not poller.done():
                    status.update(_progress(client.online_endpoints.list_rollouts(policy.endpoint_name)[0]))
                    poller.wait(1.0)
        # One rollout at a time runs on an endpoint, so the latest is this one.
        rollout = poller.result() if not no_wait else client.online_endpoints.list_rollouts(policy.endpoint_name)[0]
        render(rollout, output)
        if rollout.status in FINISHED and rollout.status not in ("Succeeded", "NotBetter"):
            raise typer.Exit(1)


def _progress(rollout: Rollout) -> str:
    if rollout.status != "Shifting" or not rollout.steps:
        return f"{rollout.status} …"
    step = rollout.steps[-1]
    return (
        f"{rollout.deployment_name} at {step.traffic}%: {step.requests} requests, "
        f"{step.error_rate:.1%} errors, p95 {step.p95_ms or 0:.1f} ms …"
    )


@endpoint_app.command("rollouts")
@with_workspace
def list_rollouts(workspace: WorkspaceRef, name: str, output: OutputOption = OutputFormat.TABLE) -> None:
    """The endpoint's deploy-if-better decisions, latest first."""
    with workspace.client() as client:
        render(client.online_endpoints.list_rollouts(name), output, columns=ROLLOUT_COLUMNS)


@endpoint_app.command("rollout-show")
@with_workspace
def show_rollout(workspace: WorkspaceRef, name: str, rollout: str, output: OutputOption = OutputFormat.TABLE) -> None:
    """One decision with its figures and each traffic step as watched."""
    with workspace.client() as client:
        render(client.online_endpoints.get_rollout(name, rollout), output)


@deployment_app.command("create")
@with_workspace
def create_deployment(
    workspace: WorkspaceRef,
    file: FileOption,
    all_traffic: Annotated[bool, typer.Option("--all-traffic", help="Then send it 100% of the traffic.")] = False,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Create or update a deployment from its YAML, and wait until its workers are ready."""
    deployment = load_deployment_file(file)
    with workspace.client() as client:
        with err_console.status(f"Provisioning {deployment.endpoint_name}/{deployment.name} …"):
            created = client.online_deployments.begin_create_or_update(deployment).result()
        if all_traffic:
            endpoint = client.online_endpoints.get(deployment.endpoint_name)
            endpoint.traffic = {deployment.name: 100}
            client.online_endpoints.begin_create_or_update(endpoint).result()
        render(created, output, columns=DEPLOYMENT_COLUMNS)


_SHARED.list_deployments(deployment_app, help="List an endpoint's deployments.")
_SHARED.show_deployment(deployment_app, help="Show a deployment.")


@deployment_app.command("get-logs")
@with_workspace
def get_logs(
    workspace: WorkspaceRef,
    name: str,
    endpoint_name: EndpointNameOption,
    lines: Annotated[int, typer.Option(min=1)] = 100,
    container: Annotated[str | None, typer.Option(help="inference-server, storage-initializer or requests.")] = None,
) -> None:
    """Print the deployment's worker logs (or its provisioning log)."""
    with workspace.client() as client:
        console.print(client.online_deployments.get_logs(name, endpoint_name, lines, container), highlight=False)


_SHARED.delete_deployment(deployment_app, help="Delete a deployment that takes no traffic.")
