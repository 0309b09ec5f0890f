"""Batch endpoints: their deployments are settings kept in the store, and each invocation is a job that
runs :mod:`lakebox.batch.driver` in the deployment's environment, on its compute.

The job's inputs are the data and the model; a Delta table is pinned to its current version by the
job runner, and a warehouse table (``warehouse:dbo.Table``) is exported to Parquet at invocation. Its
output is ``score`` (the predictions); ``summary.json`` (counts, and which inputs failed and why) is
kept with its logs. A job that fails says why in its error, not with an exit code.
"""

from __future__ import annotations

import builtins
import secrets
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from lakebox.batch import driver
from lakebox.entities import Input, Job, JobCreate, Output, Principal
from lakebox.entities.batch import BatchDeployment, BatchDeploymentSettings, BatchEndpoint, BatchInvocation
from lakebox.entities.model import Model
from lakebox.entities.spark_pool import SPARK_POOL_VARIABLE
from lakebox.environments.spec import resolve_environment
from lakebox.errors import BadRequestError, ConflictError, NotFoundError
from lakebox.jobs import code
from lakebox.jobs.runner import JobRunner
from lakebox.lake import delta
from lakebox.models.registry import ModelRegistry
from lakebox.store.specs import SpecStore
from lakebox.store.stores import Stores
from lakebox.store.types import utcnow
from lakebox.workspace.layout import WorkspaceLayout

WAREHOUSE_PREFIX = "warehouse:"
DRIVER = Path(driver.__file__).resolve()
_OVERRIDE_ALIASES = {
    "compute.instance_count": "instance_count",
    "retry_settings.max_retries": "retry_settings.max_retries",
    "retry_settings.timeout": "retry_settings.timeout",
}


class _DeploymentRecord(BaseModel):
    name: str  # "<endpoint>/<deployment>"
    deployment: BatchDeployment


class BatchEndpoints:
    def __init__(
        self,
        layout: WorkspaceLayout,
        stores: Stores,
        registry: ModelRegistry,
        runner: Callable[[], JobRunner],
        export_table: Callable[[str], pa.Table],
    ) -> None:
        self._layout, self._stores, self._registry = layout, stores, registry
        self._runner, self._export_table = runner, export_table
        self._endpoints = SpecStore(stores.db, "batch_endpoint", BatchEndpoint, "batch endpoint")
        self._deployments = SpecStore(stores.db, "batch_deployment", _DeploymentRecord, "batch deployment")

    # Endpoints

    def put_endpoint(self, endpoint: BatchEndpoint) -> tuple[BatchEndpoint, bool]:
        try:
            previous: BatchEndpoint | None = self._endpoints.get(endpoint.name)
        except NotFoundError:
            previous = None
        defaults = endpoint.defaults or (previous.defaults if previous else {})
        if deployment := defaults.get("deployment_name"):
            self.get_deployment(endpoint.name, deployment)
        stored = endpoint.model_copy(
            update={
                "defaults": defaults,
                "provisioning_state": "Succeeded",
                "created_at": previous.created_at if previous else utcnow(),
            }
        )
        return self._endpoints.put(stored)

    def get_endpoint(self, name: str) -> BatchEndpoint:
        return self._endpoints.get(name)

    def list_endpoints(self) -> builtins.list[BatchEndpoint]:
        return self._endpoints.list()

    def delete_endpoint(self, name: str) -> None:
        endpoint = self._endpoints.get(name)
        for deployment in self.list_deployments(endpoint.name):
            self._deployments.delete(f"{endpoint.name}/{deployment.name}")
        self._endpoints.delete(endpoint.name)

    # Deployments

    def put_deployment(self, deployment: BatchDeployment) -> tuple[BatchDeployment, bool]:
        """Check the model, code, environment and compute, store the deployment, and make it the
        endpoint's default if it has none."""
        endpoint = self._endpoints.get(deployment.endpoint_name)
        model = self._registry.deployed(deployment.model)
        if deployment.code_configuration is None and model.type != "mlflow_model":
            raise BadRequestError("a custom_model needs code_configuration with a scoring_script (a batch score.py)")
        if deployment.code_configuration is not None:
            if deployment.code_id is None:
                raise BadRequestError("code_configuration.code must be uploaded with the deployment (the SDK does)")
            script = (
                code.snapshot(self._layout.code_dir, deployment.code_id) / deployment.code_configuration.scoring_script
            )
            if not script.is_file():
                raise BadRequestError(
                    f"scoring script {deployment.code_configuration.scoring_script} is not in the code"
                )
        if deployment.environment is not None and not isinstance(deployment.environment, str):
            resolve_environment(deployment.environment)
        compute = (deployment.compute or "local").removeprefix("azureml:")
        if self._is_spark_pool(compute):
            if deployment.code_configuration is not None or deployment.environment is not None:
                raise BadRequestError(
                    f"compute {compute} is a Spark pool: it scores no-code MLflow models in the pool's runtime "
                    "(no code_configuration, no environment)"
                )
        elif compute != "local":
            self._stores.computes.get(compute)
        key = f"{endpoint.name}/{deployment.name}"
        try:
            previous: BatchDeployment | None = self._deployments.get(key).deployment
        except NotFoundError:
            previous = None
        stored = deployment.model_copy(
            update={
                "endpoint_name": endpoint.name,
                "model": model.id,
                "compute": compute,
                "provisioning_state": "Succeeded",
                "created_at": previous.created_at if previous else utcnow(),
            }
        )
        _, created = self._deployments.put(_DeploymentRecord(name=key, deployment=stored))
        if endpoint.default_deployment is None:
            self._endpoints.put(endpoint.model_copy(update={"defaults": {"deployment_name": deployment.name}}))
        return stored, created

    def _is_spark_pool(self, compute: str) -> bool:
        if compute == "local" or any(c.name.lower() == compute.lower() for c in self._stores.computes.list()):
            return False
        return any(pool.name.lower() == compute.lower() for pool in self._stores.spark_pools.list())

    def get_deployment(self, endpoint: str, name: str) -> BatchDeployment:
        return self._deployments.get(f"{endpoint}/{name}").deployment

    def list_deployments(self, endpoint: str) -> builtins.list[BatchDeployment]:
        self._endpoints.get(endpoint)
        prefix = f"{endpoint.lower()}/"
        return [r.deployment for r in self._deployments.list() if r.name.lower().startswith(prefix)]

    def delete_deployment(self, endpoint_name: str, name: str) -> None:
        endpoint = self._endpoints.get(endpoint_name)
        deployment = self.get_deployment(endpoint.name, name)
        others = [d for d in self.list_deployments(endpoint.name) if d.name != deployment.name]
        if (endpoint.default_deployment or "").lower() == deployment.name.lower():
            if others:
                raise ConflictError(
                    f"deployment {deployment.name} is the default of {endpoint.name}; make another the default first"
                )
            self._endpoints.put(endpoint.model_copy(update={"defaults": {}}))
        self._deployments.delete(f"{endpoint.name}/{deployment.name}")

    # Invocations

    def invoke(self, endpoint_name: str, invocation: BatchInvocation, principal: Principal) -> Job:
        """Start a scoring job of the deployment named (or the default) on the invocation's input."""
        endpoint = self._endpoints.get(endpoint_name)
        name = invocation.deployment_name or endpoint.default_deployment
        if name is None:
            raise BadRequestError(f"batch endpoint {endpoint.name} has no deployment to invoke")
        deployment = self.get_deployment(endpoint.name, name)
        settings = _override(deployment.settings, invocation.overrides)
        job_name = f"batch-{secrets.token_hex(6)}"
        data, tabular = self._input(job_name, invocation.input)
        model = self._registry.resolve(str(deployment.model))
        model_dir = self._registry.local_path(model)
        script = deployment.code_configuration.scoring_script if deployment.code_configuration else None
        outputs = {"score": Output(type="uri_folder", path=invocation.output_path)}
        variables = settings.environment_variables | {"AZUREML_MODEL_DIR": str(model_dir.parent)}
        compute = deployment.compute
        command = _command(settings, script, tabular, self._layout.compiled_models_dir)
        if deployment.compute and self._is_spark_pool(deployment.compute):
            compute, command = None, _spark_command(settings)
            variables[SPARK_POOL_VARIABLE] = deployment.compute
        spec = JobCreate(
            name=job_name,
            display_name=f"{endpoint.name}-{deployment.name}",
            experiment_name=invocation.experiment_name or endpoint.name,
            command=command,
            compute=compute,
            inputs={"data": data, "model": Input(type=_model_input_type(model), path=str(model_dir))},
            outputs=outputs,
            environment=deployment.environment if not isinstance(deployment.environment, str) else None,
            environment_variables=variables,
            code_id=deployment.code_id,
            tags={"batch_endpoint": endpoint.name, "batch_deployment": deployment.name, "model": model.id or ""},
            description=f"batch scoring on {endpoint.name}/{deployment.name}",
        )
        return self._runner().submit(spec, principal)

    def _input(self, job_name: str, value: dict[str, Any]) -> tuple[Input, bool]:
        """The job's data input, and whether it is a table (scored as rows rather than as files)."""
        try:
            data = Input.model_validate(value)
        except PydanticValidationError as exc:
            raise BadRequestError(f"input: {exc.errors()[0]['msg']}") from None
        if data.path.startswith(WAREHOUSE_PREFIX):
            table = data.path.removeprefix(WAREHOUSE_PREFIX)
            target = self._layout.jobs_dir / job_name / "exported" / f"{table}.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(self._export_table(table), target, row_group_size=driver.SLICE_ROWS)
            return Input(type="uri_file", path=str(target)), True
        if data.type == "delta_table":
            return data, True
        local = Path(data.path)
        return data, local.is_dir() and delta.is_delta_table(local)


def _model_input_type(model: Model) -> Literal["mlflow_model", "custom_model"]:
    return "mlflow_model" if model.type == "mlflow_model" else "custom_model"


def _override(settings: BatchDeploymentSettings, overrides: dict[str, Any]) -> BatchDeploymentSettings:
    """The settings with ``params_override`` applied (``mini_batch_size``, ``retry_settings.timeout``, ...)."""
    values = settings.model_dump()
    for key, value in overrides.items():
        path = _OVERRIDE_ALIASES.get(key, key).split(".")
        if path[0] not in values:
            raise BadRequestError(f"params_override: {key!r} is not a batch deployment setting")
        target = values
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value
    try:
        return BatchDeploymentSettings.model_validate(values)
    except PydanticValidationError as exc:
        error = exc.errors()[0]
        raise BadRequestError(f"params_override: {'.'.join(map(str, error['loc']))}: {error['msg']}") from None


def _spark_command(settings: BatchDeploymentSettings) -> str:
    arguments = [
        "python", "-m", "lakebox.spark.batch_scoring",
        "--input", "${{inputs.data}}",
        "--output", "${{outputs.score}}",
        "--model-dir", "${{inputs.model}}",
        "--output-file-name", settings.output_file_name,
        "--output-format", settings.resolved_format,
    ]  # fmt: skip
    return " ".join(a if a.startswith("${{") else shlex.quote(a) for a in arguments)


def _command(settings: BatchDeploymentSettings, script: str | None, tabular: bool, cache_dir: Path) -> str:
    arguments = [
        "python", str(DRIVER),
        "--input", "${{inputs.data}}",
        "--output", "${{outputs.score}}",
        "--output-file-name", settings.output_file_name,
        "--output-action", settings.output_action,
        "--output-format", settings.resolved_format,
        "--mini-batch-size", str(settings.mini_batch_size),
        "--concurrency", str(settings.instance_count * settings.max_concurrency_per_instance),
        "--error-threshold", str(settings.error_threshold),
        "--max-retries", str(settings.retry_settings.max_retries),
        "--timeout", str(settings.retry_settings.timeout),
    ]  # fmt: skip
    if script:
        arguments += ["--scoring-script", script]
    else:
        arguments += ["--model-dir", "${{inputs.model}}", "--cache-dir", str(cache_dir)]
    if tabular:
        arguments.append("--tabular")
    return " ".join(a if a.startswith("${{") else shlex.quote(a) for a in arguments)
