"""Activities that reach Azure ML's side of the workspace: batch scoring, jobs, child pipelines, and
web calls to the workspace's own REST API.

``AzureMLBatchExecution`` takes the seed's shape (``mlEndpointName``, ``inputDatasets``,
``outputDatasets``, an ``AzureMLService`` linked service); the documented Azure ML v2 route, a
``WebActivity`` that POSTs to the batch endpoint's invoke URI with ``authentication: MSI``, works too.
A ``WebActivity`` may call loopback addresses only.
"""

from __future__ import annotations

import ipaddress
import secrets
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from lakebox.entities import Job, JobCreate, JobStatus
from lakebox.entities.batch import BatchInvocation
from lakebox.pipelines import datasets
from lakebox.pipelines.activities.base import ActivityContext, ActivityFailure, Cancelled, activity, required
from lakebox.store.types import utcnow

_JOB_POLL_SECONDS = 0.25
_WEB_TIMEOUT_SECONDS = 60.0


@activity("AzureMLBatchExecution")
def batch_execution(context: ActivityContext, properties: dict[str, Any]) -> Any:
    _check_ml_service(context)
    endpoint = str(required(properties, "mlEndpointName", "AzureMLBatchExecution"))
    inputs = properties.get("inputDatasets") or []
    if len(inputs) != 1:
        raise ActivityFailure("AzureMLBatchExecution takes one entry in inputDatasets")
    source = datasets.resolve(context.services, inputs[0].get("dataset") or {}, context.scope)
    data = (
        {"type": "uri_file", "path": f"warehouse:{source.table}"}
        if source.kind == "warehouse"
        else {"type": "uri_file" if source.path.is_file() else "uri_folder", "path": str(source.path)}
    )
    output_path, overrides = None, dict(properties.get("paramsOverride") or {})
    for entry in properties.get("outputDatasets") or []:
        target = datasets.resolve(context.services, entry.get("dataset") or {}, context.scope)
        if target.kind != "lake":
            raise ActivityFailure(f"output dataset {target.name} must be a file dataset on a datastore")
        output_path = _datastore_uri(context, target)
        overrides |= {"output_format": target.file_format} | (
            {"output_file_name": target.file_name} if target.file_name else {}
        )
    invocation = BatchInvocation(
        deployment_name=properties.get("deploymentName"), input=data, output_path=output_path, overrides=overrides
    )
    job = context.services.batch_endpoints().invoke(endpoint, invocation, context.services.principal)
    job = wait_for_job(context, job.name)
    outputs = {name: output.path for name, output in job.outputs.items()}
    return {"jobName": job.name, "status": job.status.value, "endpoint": endpoint, "outputs": outputs}


def _check_ml_service(context: ActivityContext) -> None:
    name = str((context.activity.get("linkedServiceName") or {}).get("referenceName", ""))
    if not name:
        raise ActivityFailure(f"{context.activity.get('type')} needs linkedServiceName (an AzureMLService)")
    target = context.services.linked_services().target(context.services.stores.linked_services.get(name))
    if target.kind != "workspace":
        raise ActivityFailure(f"linked service {name} is {target.type}; this activity needs an AzureMLService")


def _datastore_uri(context: ActivityContext, target: datasets.DatasetTarget) -> str:
    root = context.services.lake().resolve(f"azureml://datastores/{target.datastore}/paths/").local_path
    folder = target.path.parent if target.file_name else target.path
    relative = folder.resolve().relative_to(root.resolve()).as_posix()
    return f"azureml://datastores/{target.datastore}/paths/{relative}/"


def wait_for_job(context: ActivityContext, name: str) -> Job:
    """Wait for a job to end; cancel it if the run is cancelled or the activity times out."""
    jobs = context.services.stores.jobs
    try:
        while not (job := jobs.get(name)).status.terminal:
            context.wait(_JOB_POLL_SECONDS)
    except Cancelled:
        context.services.runner().cancel(name, context.services.principal)
        raise
    if job.status is not JobStatus.COMPLETED:
        raise ActivityFailure(f"job {name} {job.status.value}: {job.error}", error_code="JobFailed")
    return job


@activity("AzureMLExecutePipeline")
def execute_ml_pipeline(context: ActivityContext, properties: dict[str, Any]) -> Any:
    """Run a lakebox job again from a finished one (``mlPipelineId`` names it), with literal inputs
    replaced by ``mlPipelineParameters``, and wait for it."""
    _check_ml_service(context)
    template = str(required(properties, "mlPipelineId", "AzureMLExecutePipeline"))
    stored = context.services.stores.jobs.spec(template)
    spec = JobCreate.model_validate({key: value for key, value in stored.items() if key in JobCreate.model_fields})
    parameters = properties.get("mlPipelineParameters") or {}
    unknown = sorted(key for key in parameters if key not in spec.inputs)
    if unknown:
        raise ActivityFailure(f"job {template} has no input {', '.join(unknown)}")
    spec = spec.model_copy(
        update={
            "name": f"{template[:40]}-{secrets.token_hex(4)}",
            "inputs": spec.inputs | parameters,
            "experiment_name": properties.get("experimentName") or spec.experiment_name,
            "tags": spec.tags | {"pipeline_run_id": context.state.run_id},
        }
    )
    job = context.services.runner().submit(spec, context.services.principal)
    job = wait_for_job(context, job.name)
    return {"jobName": job.name, "status": job.status.value, "outputs": {k: v.path for k, v in job.outputs.items()}}


@activity("WebActivity")
def web(context: ActivityContext, properties: dict[str, Any]) -> Any:
    url = str(required(properties, "url", "WebActivity"))
    _check_loopback(url)
    method = str(properties.get("method", "GET")).upper()
    headers = {str(k): str(v) for k, v in (properties.get("headers") or {}).items()}
    authentication = properties.get("authentication") or {}
    if authentication:
        if str(authentication.get("type", "")).upper() != "MSI":
            raise ActivityFailure("WebActivity authentication must be MSI (the pipeline's managed identity)")
        headers["Authorization"] = f"Bearer {_identity_token(context)}"
    body = properties.get("body")
    timeout = min(_WEB_TIMEOUT_SECONDS, max(context.deadline - time.monotonic(), 0.1))
    try:
        response = httpx.request(method, url, headers=headers, json=body if method != "GET" else None, timeout=timeout)
    except httpx.HTTPError as exc:
        raise ActivityFailure(f"WebActivity {method} {url}: {type(exc).__name__}: {exc}") from exc
    if response.status_code >= 400:
        raise ActivityFailure(
            f"WebActivity {method} {url} answered {response.status_code}: {response.text[:500]}",
            error_code=str(response.status_code),
        )
    try:
        output: Any = response.json()
    except ValueError:
        output = {"Response": response.text}
    if isinstance(output, dict):
        output = output | {"ADFWebActivityResponseHeaders": dict(response.headers)}
    return output


def _check_loopback(url: str) -> None:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise ActivityFailure(f"WebActivity url {url!r} is not an http(s) URL")
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise ActivityFailure(f"WebActivity may call loopback addresses only (127.0.0.1, ::1, localhost); not {host}")


def _identity_token(context: ActivityContext) -> str:
    """A short-lived token of the pipeline's managed identity."""
    principal = context.services.principal
    expires = utcnow() + timedelta(minutes=30)
    return context.services.stores.identities.issue_token(
        principal.identity_id, f"pipeline run {context.state.run_id}", expires
    )
