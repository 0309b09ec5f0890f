"""``ml_client.batch_endpoints`` and ``ml_client.batch_deployments``: Azure ML's operations on batch endpoints.

An invocation returns the scoring job; follow it with ``ml_client.jobs.stream(job.name)`` and fetch
its predictions with ``ml_client.jobs.download(job.name, path, output_name="score")``.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any

from lakebox.client._deployments import DeploymentOperations, EndpointOperations
from lakebox.client._http import ApiClient
from lakebox.client.environments import EnvironmentOperations
from lakebox.client.jobs import JobOperations
from lakebox.client.models import ModelOperations
from lakebox.client.poller import LROPoller
from lakebox.entities import Input, Job, Output
from lakebox.entities.batch import BatchDeployment, BatchEndpoint, BatchInvocation
from lakebox.errors import BadRequestError

_PATH = "/api/v1/batchEndpoints"


class BatchEndpointOperations(EndpointOperations[BatchEndpoint]):
    _path = _PATH
    _entity = BatchEndpoint
    _server_fields = frozenset({"scoring_uri", "provisioning_state", "created_at"})

    def __init__(self, api: ApiClient, jobs: JobOperations) -> None:
        super().__init__(api)
        self._jobs = jobs

    def invoke(
        self,
        endpoint_name: str,
        *,
        input: Input | None = None,
        inputs: Mapping[str, Input] | None = None,
        deployment_name: str | None = None,
        params_override: Sequence[Mapping[str, Any]] | Mapping[str, Any] | None = None,
        outputs: Mapping[str, Output] | None = None,
        experiment_name: str | None = None,
    ) -> Job:
        """Score ``input`` (a file, a folder of CSV/Parquet files, a Delta table, or ``warehouse:dbo.Table``)
        with the named deployment, or the endpoint's default; returns the scoring job."""
        data = _one_input(input, inputs)
        overrides: dict[str, Any] = {}
        for item in [params_override] if isinstance(params_override, Mapping) else params_override or []:
            overrides.update(item)
        output = (outputs or {}).get("score")
        body = BatchInvocation(
            deployment_name=deployment_name,
            input=data.model_dump(mode="json"),
            output_path=output.path if output else None,
            overrides=overrides,
            experiment_name=experiment_name,
        )
        return Job.model_validate(self._api.request("POST", f"{_PATH}/{endpoint_name}/invoke", json=body.model_dump()))

    def list_jobs(self, endpoint_name: str) -> builtins.list[Job]:
        """The scoring jobs of the endpoint, newest first."""
        name = self.get(endpoint_name).name
        return [job for job in self._jobs.list() if job.tags.get("batch_endpoint") == name]


def _one_input(input: Input | None, inputs: Mapping[str, Input] | None) -> Input:
    given = [value for value in [input, *(inputs or {}).values()] if value is not None]
    if len(given) != 1:
        raise BadRequestError("a batch invocation takes one input (input=Input(...), or inputs with one entry)")
    return given[0]


class BatchDeploymentOperations(DeploymentOperations[BatchDeployment]):
    _path = _PATH
    _entity = BatchDeployment

    def __init__(
        self, api: ApiClient, models: ModelOperations, environments: EnvironmentOperations, jobs: JobOperations
    ) -> None:
        super().__init__(api, models, environments)
        self._jobs = jobs

    def begin_create_or_update(self, deployment: BatchDeployment) -> LROPoller[BatchDeployment]:
        """Upload the scoring code, register an unregistered model, and store the deployment."""
        body = self._uploaded(deployment).model_dump(mode="json", exclude={"provisioning_state"})
        stored = self._api.request("PUT", self._url(deployment.endpoint_name, deployment.name), json=body)
        return LROPoller.completed(BatchDeployment.model_validate(stored))

    def list_jobs(self, endpoint_name: str, name: str) -> builtins.list[Job]:
        deployment = self.get(name, endpoint_name)
        return [
            job
            for job in self._jobs.list()
            if job.tags.get("batch_endpoint") == deployment.endpoint_name
            and job.tags.get("batch_deployment") == deployment.name
        ]
