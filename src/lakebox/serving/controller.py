"""The control plane's side of online endpoints: validation, Azure ML's traffic rules, keys, and
provisioning deployments (environment, code and model laid out for the workers) before the
gateway is told to serve them.

A deployment is provisioned in a background thread: its environment is built, its runtime folder
prepared, and the gateway given the new state; the deployment is ``Succeeded`` once the gateway
reports its workers ready. If they fail, the previous generation (if any) keeps serving and the
deployment is ``Failed`` with the workers' log tail.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import threading
import time
from pathlib import Path

from lakebox.compute.sizes import vm_size
from lakebox.entities import AuditOutcome, Principal
from lakebox.entities.endpoint import (
    COLLECTIONS,
    EndpointAuthKeys,
    EndpointAuthToken,
    ManagedOnlineDeployment,
    ManagedOnlineEndpoint,
    collected_data_uri,
)
from lakebox.entities.model import Model
from lakebox.entities.serving import Collection, EndpointRoute, ServingState, WorkerSpec
from lakebox.environments.builder import ensure_built
from lakebox.environments.spec import resolve_environment
from lakebox.errors import (
    BadRequestError,
    ConflictError,
    NotFoundError,
    ValidationError,
    failure_reason,
)
from lakebox.jobs import code, process
from lakebox.jobs.runner import Endpoints
from lakebox.lake.datastores import lake_resolver
from lakebox.models.registry import ModelRegistry
from lakebox.runtime.processes import log_tail
from lakebox.security import actions
from lakebox.security.tokens import sign_scoped_token
from lakebox.serving.pool import REQUEST_LOG
from lakebox.serving.process import GatewayClient
from lakebox.store.endpoints import KEY_TYPES, DeploymentRecord
from lakebox.store.stores import Stores
from lakebox.store.types import utcnow
from lakebox.workspace.defaults import SYSTEM_IDENTITY_NAME
from lakebox.workspace.layout import WorkspaceLayout

_logger = logging.getLogger(__name__)
TOKEN_LIFETIME_SECONDS = 3600
DENIAL_AUDIT_SECONDS = 2.0
_READY_POLL_SECONDS = 0.1
_MAX_MIRROR_PERCENT = 50
_PROVISIONING = ("Creating", "Updating")


class EndpointController:
    def __init__(
        self, layout: WorkspaceLayout, stores: Stores, registry: ModelRegistry, workspace_id: str, server: Endpoints
    ) -> None:
        self._layout, self._stores, self._registry, self._server = layout, stores, registry, server
        self._workspace_id = workspace_id
        self._gateway = GatewayClient(layout)
        self._lock = threading.RLock()

    def resume(self) -> None:
        """After a control-plane start: serve what is stored, fail provisioning the last server left
        half-done, and start collecting the gateway's refused requests into the audit log."""
        threading.Thread(target=self._audit_denials_forever, name="gateway-denials", daemon=True).start()
        for record in self._stores.endpoints.deployments():
            if record.deployment.provisioning_state in _PROVISIONING:
                self._set_state(record, "Failed", "the server stopped while the deployment was being provisioned")
        if self._stores.endpoints.list():
            self._push()

    # Endpoints

    def put_endpoint(self, endpoint: ManagedOnlineEndpoint) -> tuple[ManagedOnlineEndpoint, bool]:
        with self._lock:
            try:
                current: ManagedOnlineEndpoint | None = self._stores.endpoints.get(endpoint.name)
            except NotFoundError:
                current = None
            traffic = endpoint.traffic if endpoint.traffic is not None else (current.traffic if current else {}) or {}
            mirror = endpoint.mirror_traffic if endpoint.mirror_traffic is not None else (
                current.mirror_traffic if current else {}
            ) or {}  # fmt: skip
            traffic, mirror = self._check_traffic(endpoint.name, traffic, mirror)
            stored = endpoint.model_copy(
                update={
                    "traffic": traffic,
                    "mirror_traffic": mirror,
                    "provisioning_state": "Succeeded",
                    "created_at": current.created_at if current else utcnow(),
                    "scoring_uri": None,
                    "openapi_uri": None,
                }
            )
            _, created = self._stores.endpoints.put(stored)
            self._push()
        return self._with_uris(stored), created

    def get_endpoint(self, name: str) -> ManagedOnlineEndpoint:
        return self._with_uris(self._stores.endpoints.get(name))

    def list_endpoints(self) -> list[ManagedOnlineEndpoint]:
        endpoints = self._stores.endpoints.list()
        if not endpoints:
            return []
        gateway = self._gateway.record().url  # one probe of the gateway for the whole list
        return [self._with_uris(e, gateway) for e in endpoints]

    def delete_endpoint(self, name: str) -> None:
        with self._lock:
            runtimes = [r.runtime for r in self._stores.endpoints.deployments(name) if r.runtime is not None]
            self._stores.endpoints.delete(name)
            self._push()
        for runtime in runtimes:
            self._revoke(runtime)

    def keys(self, name: str) -> EndpointAuthKeys:
        if self._stores.endpoints.get(name).auth_mode != "key":
            raise BadRequestError(f"endpoint {name} uses aml_token auth; get a token instead of keys")
        return self._stores.endpoints.keys(name)

    def token(self, name: str) -> EndpointAuthToken:
        if self._stores.endpoints.get(name).auth_mode != "aml_token":
            raise BadRequestError(f"endpoint {name} uses key auth; get its keys instead of a token")
        now = int(time.time())
        expires = now + TOKEN_LIFETIME_SECONDS
        token = sign_scoped_token(self._stores.endpoints.token_key(), self._stores.endpoints.get(name).name, expires)
        return EndpointAuthToken(
            access_token=token, expiry_time_utc=expires, refresh_after_time_utc=now + TOKEN_LIFETIME_SECONDS // 2
        )

    def regenerate_key(self, name: str, key_type: str) -> None:
        if key_type not in KEY_TYPES:
            raise BadRequestError(f"key_type must be one of {', '.join(KEY_TYPES)}; got {key_type!r}")
        if self._stores.endpoints.get(name).auth_mode != "key":
            raise BadRequestError(f"endpoint {name} uses aml_token auth: it has no keys to regenerate")
        with self._lock:
            self._stores.endpoints.regenerate_key(name, key_type)
            self._push()

    def _check_traffic(
        self, endpoint: str, traffic: dict[str, int], mirror: dict[str, int]
    ) -> tuple[dict[str, int], dict[str, int]]:
        """Azure ML's rules: known deployments, weights summing to 0 or 100, ready ones only, one mirror of at
        most 50%. Returns both splits under the deployments' own names."""
        known = {r.deployment.name.lower(): r for r in self._stores.endpoints.deployments(endpoint)}
        for name in [*traffic, *mirror]:
            if name.lower() not in known:
                raise BadRequestError(f"endpoint {endpoint} has no deployment {name!r} to send traffic to")
        if any(not 0 <= weight <= 100 for weight in [*traffic.values(), *mirror.values()]):
            raise BadRequestError("traffic percentages must be between 0 and 100")
        if sum(traffic.values()) not in (0, 100):
            raise BadRequestError(f"traffic must add up to 100 (or 0); {traffic} adds up to {sum(traffic.values())}")
        for name, weight in traffic.items():
            state = known[name.lower()].deployment.provisioning_state
            if weight > 0 and known[name.lower()].runtime is None:
                raise BadRequestError(f"deployment {name} is {state}; it cannot take traffic until it has succeeded")
        live = [name for name, weight in mirror.items() if weight > 0]
        if len(live) > 1:
            raise BadRequestError("mirror traffic can go to one deployment only")
        for name in live:
            if mirror[name] > _MAX_MIRROR_PERCENT:
                raise BadRequestError(f"mirror traffic is at most {_MAX_MIRROR_PERCENT}%; {name} has {mirror[name]}%")
            if traffic.get(name, 0) > 0:
                raise BadRequestError(f"deployment {name} takes live traffic, so it cannot also take mirror traffic")
        canonical = {name: known[name.lower()].deployment.name for name in [*traffic, *mirror]}
        return {canonical[k]: v for k, v in traffic.items()}, {canonical[k]: v for k, v in mirror.items()}

    def _with_uris(self, endpoint: ManagedOnlineEndpoint, gateway: str | None = None) -> ManagedOnlineEndpoint:
        base = f"{gateway or self._gateway.record().url}/endpoints/{endpoint.name}"
        return endpoint.model_copy(update={"scoring_uri": f"{base}/score", "openapi_uri": f"{base}/swagger.json"})

    # Deployments

    def put_deployment(
        self, deployment: ManagedOnlineDeployment, principal: Principal
    ) -> tuple[DeploymentRecord, bool]:
        """Validate, store as Creating/Updating, and provision in the background."""
        endpoint = self._stores.endpoints.get(deployment.endpoint_name)
        model = self._registry.deployed(deployment.model)
        if deployment.code_configuration is None and model.type != "mlflow_model":
            raise BadRequestError("a custom_model needs code_configuration with a scoring_script (score.py)")
        if deployment.code_configuration is not None and deployment.code_id is not None:
            script = (
                code.snapshot(self._layout.code_dir, deployment.code_id) / deployment.code_configuration.scoring_script
            )
            if not script.is_file():
                raise BadRequestError(
                    f"scoring script {deployment.code_configuration.scoring_script} is not in the code"
                )
        elif deployment.code_configuration is not None:
            raise BadRequestError("code_configuration.code must be uploaded with the deployment (the SDK does this)")
        if deployment.environment is not None and not isinstance(deployment.environment, str):
            resolve_environment(deployment.environment)  # refuse unbuildable conda files now
        vm_size(deployment.instance_type)
        with self._lock:
            try:
                previous: DeploymentRecord | None = self._stores.endpoints.deployment(endpoint.name, deployment.name)
            except NotFoundError:
                previous = None
            if previous is not None and previous.deployment.provisioning_state in _PROVISIONING:
                raise ConflictError(f"deployment {deployment.name} is being provisioned; wait for it to finish")
            state = "Updating" if previous is not None else "Creating"
            stored = deployment.model_copy(
                update={
                    "endpoint_name": endpoint.name,
                    "model": model.id,
                    "provisioning_state": state,
                    "error": None,
                    "created_at": previous.deployment.created_at if previous else utcnow(),
                }
            )
            record = DeploymentRecord(
                name=f"{endpoint.name}/{deployment.name}",
                deployment=stored,
                runtime=previous.runtime if previous else None,
            )
            self._stores.endpoints.put_deployment(record)
        threading.Thread(
            target=self._provision, args=(record, model), name=f"deploy-{record.name}", daemon=True
        ).start()
        _logger.info("%s %s deployment %s", principal.name, state.lower(), record.name)
        return record, previous is None

    def get_deployment(self, endpoint: str, name: str) -> ManagedOnlineDeployment:
        return self._stores.endpoints.deployment(endpoint, name).deployment

    def list_deployments(self, endpoint: str) -> list[ManagedOnlineDeployment]:
        self._stores.endpoints.get(endpoint)
        return [record.deployment for record in self._stores.endpoints.deployments(endpoint)]

    def delete_deployment(self, endpoint: str, name: str) -> None:
        with self._lock:
            current = self._stores.endpoints.get(endpoint)
            record = self._stores.endpoints.deployment(endpoint, name)
            share = {k.lower(): v for k, v in {**(current.mirror_traffic or {}), **(current.traffic or {})}.items()}
            if share.get(record.deployment.name.lower(), 0) > 0:
                raise ConflictError(
                    f"deployment {name} takes {share[record.deployment.name.lower()]}% of {endpoint}'s traffic; "
                    "move its traffic to another deployment first"
                )
            self._stores.endpoints.delete_deployment(endpoint, name)
            self._push()
        if record.runtime is not None:
            self._revoke(record.runtime)

    def logs(self, endpoint: str, name: str, lines: int, container_type: str | None) -> str:
        record = self._stores.endpoints.deployment(endpoint, name)
        folder = self._layout.serving_dir / record.deployment.endpoint_name / record.deployment.name
        if container_type == "storage-initializer":
            return log_tail(folder / "provisioning.log", lines)
        if container_type == "requests":
            return log_tail(folder / "logs" / REQUEST_LOG, lines)
        generation = record.runtime.generation if record.runtime else None
        logs = sorted((folder / "logs").glob(f"{generation}-*.log")) if generation else []
        if not logs:
            return log_tail(folder / "provisioning.log", lines)
        return "\n".join(f"--- instance {log.stem.rsplit('-', 1)[-1]} ---\n{log_tail(log, lines)}" for log in logs)

    # Provisioning

    def _provision(self, record: DeploymentRecord, model: Model) -> None:
        folder = self._layout.serving_dir / record.deployment.endpoint_name / record.deployment.name
        folder.mkdir(parents=True, exist_ok=True)
        previous = record.runtime
        try:
            with open(folder / "provisioning.log", "a") as log:
                runtime = self._prepare(record.deployment, model, folder, log.write, previous)
            with self._lock:
                record = self._stores.endpoints.deployment(record.deployment.endpoint_name, record.deployment.name)
                record.runtime = runtime
                self._stores.endpoints.put_deployment(record)
                self._push()
            predictor = self._wait_ready(record, runtime)
            self._set_state(record, "Succeeded", None, predictor)
            if previous is not None and previous.generation != runtime.generation:
                self._revoke(previous)  # the old workers are drained: their identity ends
        except Exception as exc:
            self._fail(record, previous, failure_reason(exc, _logger, f"provisioning {record.name}"))

    def _prepare(  # type: ignore[no-untyped-def]
        self, deployment: ManagedOnlineDeployment, model: Model, folder: Path, log, previous: WorkerSpec | None
    ) -> WorkerSpec:
        """Build the environment and lay out code and model as Azure ML does; returns the worker spec."""
        environment = deployment.environment if not isinstance(deployment.environment, str) else None
        label, env_spec = resolve_environment(environment)
        log(f"{utcnow().isoformat()} environment {label}\n")
        python = ensure_built(env_spec, log)
        model_dir = self._registry.local_path(model)
        fingerprint = {
            "deployment": deployment.model_dump(
                mode="json", exclude={"provisioning_state", "error", "created_at", "predictor"}
            ),
            "environment": env_spec.digest(),
            "model": model.id,
        }
        generation = hashlib.sha256(json.dumps(fingerprint, sort_keys=True).encode()).hexdigest()[:12]
        if previous is not None and previous.generation == generation:
            log(f"{utcnow().isoformat()} generation {generation} is already serving; nothing to change\n")
            return previous
        runtime = folder / generation
        workdir = runtime / "code"
        if not workdir.exists():
            if deployment.code_id:
                shutil.copytree(code.snapshot(self._layout.code_dir, deployment.code_id), workdir)
            workdir.mkdir(parents=True, exist_ok=True)
            if not (workdir / model_dir.name).exists():  # score.py's "./model" finds the model, as on Azure ML
                _link_copy(model_dir, workdir / model_dir.name)
        models_root = runtime / "azureml-models" / str(model.name) / str(model.version)
        if not models_root.exists():
            models_root.mkdir(parents=True)
            _link_copy(model_dir, models_root / model_dir.name)
        size = vm_size(deployment.instance_type)
        script = deployment.code_configuration.scoring_script if deployment.code_configuration else None
        serving = {
            "AZUREML_MODEL_DIR": str(models_root),
            "AZUREML_ENTRY_SCRIPT": script or "",
            "PYTHONUNBUFFERED": "1",
        }
        grant_id, identity = self._managed_identity(f"deployment {deployment.endpoint_name}/{deployment.name}")
        environ = process.job_environment(deployment.environment_variables, serving | identity, python, size)
        log(f"{utcnow().isoformat()} generation {generation}: {deployment.instance_count} instance(s) of {label}\n")
        return WorkerSpec(
            generation=generation,
            grant_id=grant_id,
            mode="script" if script else "mlflow",
            python=str(python),
            workdir=str(workdir),
            model_dir=str(model_dir),
            scoring_script=str(workdir / script) if script else None,
            instance_count=deployment.instance_count,
            cores=size.cores,
            environment=environ,
            request_settings=deployment.request_settings,
            batching=deployment.batching,
            compile_model=deployment.compile_model,
            cache_dir=str(self._layout.compiled_models_dir),
            readiness_timeout_s=_readiness_timeout(deployment),
            liveness=deployment.liveness_probe,
            log_dir=str(folder / "logs"),
            collection=self._collection(deployment),
        )

    def _collection(self, deployment: ManagedOnlineDeployment) -> Collection | None:
        """Where the gateway writes what the deployment's data collector collects, if it collects anything."""
        collector = deployment.data_collector
        if collector is None or not any(collector.enabled(c) for c in COLLECTIONS):
            return None
        table = collected_data_uri(deployment.endpoint_name, deployment.name, COLLECTIONS[0])
        folder = lake_resolver(self._stores, self._layout).local_path(table).parent
        return Collection(
            folder=str(folder),
            inputs=collector.enabled("model_inputs"),
            outputs=collector.enabled("model_outputs"),
            sampling_rate=collector.sampling_rate,
        )

    def _wait_ready(self, record: DeploymentRecord, runtime: WorkerSpec) -> str | None:
        """Wait until the gateway has every worker of this generation ready; what they predict with."""
        deadline = time.monotonic() + runtime.readiness_timeout_s + 30
        endpoint, name = record.deployment.endpoint_name, record.deployment.name
        while time.monotonic() < deadline:
            status = self._gateway.status().get(endpoint, {}).get(name)
            if status is not None and status.generation == runtime.generation:
                if status.state == "ready":
                    return status.workers[0].predictor if status.workers else None
                if status.state == "failed":
                    raise ValidationError(f"the deployment's workers failed to start: {status.error}")
            time.sleep(_READY_POLL_SECONDS)
        raise ValidationError(f"the deployment's workers were not ready within {runtime.readiness_timeout_s:.0f}s")

    def _managed_identity(self, purpose: str) -> tuple[str, dict[str, str]]:
        """A grant of the workspace's system-assigned identity for a deployment's workers, and the
        variables through which ``DefaultAzureCredential`` inside them finds it."""
        server = self._server
        identity = self._stores.identities.get_by_name(SYSTEM_IDENTITY_NAME)
        grant_id, header = self._stores.identities.grant_process_identity(identity.id, purpose)
        variables = {
            "IDENTITY_ENDPOINT": f"{server.url}/msi/token",
            "IDENTITY_HEADER": header,
            "LAKEBOX_ENDPOINT": server.url,  # MLClient() in score.py calls the server as the managed identity
        }
        if server.tls_cert:
            variables["SSL_CERT_FILE"] = str(server.tls_cert)
        return grant_id, variables

    def _revoke(self, runtime: WorkerSpec) -> None:
        if runtime.grant_id:
            with contextlib.suppress(NotFoundError):
                self._stores.identities.revoke_grant(runtime.grant_id)

    def _fail(self, record: DeploymentRecord, previous: WorkerSpec | None, reason: str) -> None:
        """Serve the previous generation again (if any) and record why this one failed."""
        with self._lock:
            try:
                current = self._stores.endpoints.deployment(record.deployment.endpoint_name, record.deployment.name)
            except NotFoundError:
                return  # deleted meanwhile
            if current.runtime is not None and current.runtime != previous:
                self._revoke(current.runtime)
            current.runtime = previous
            self._stores.endpoints.put_deployment(current)
            self._push()
        self._set_state(current, "Failed", reason)

    def _set_state(self, record: DeploymentRecord, state: str, error: str | None, predictor: str | None = None) -> None:
        with self._lock:
            try:
                current = self._stores.endpoints.deployment(record.deployment.endpoint_name, record.deployment.name)
            except NotFoundError:
                return
            update = {"provisioning_state": state, "error": error} | ({"predictor": predictor} if predictor else {})
            current.deployment = current.deployment.model_copy(update=update)
            self._stores.endpoints.put_deployment(current)

    # The gateway

    def _audit_denials_forever(self) -> None:
        while True:
            time.sleep(DENIAL_AUDIT_SECONDS)
            try:
                self.audit_denials()
            except Exception:
                _logger.exception("could not collect refused scoring requests from the gateway")

    def audit_denials(self) -> None:
        """One audit entry per endpoint, client and status for the scoring requests the gateway refused
        (bad or missing key or token: 401; locked out: 429) since the last collection."""
        if not self._gateway.running():
            return
        for denial in self._gateway.take_denials():
            self._stores.audit.append(
                principal_id=None,
                principal_name="anonymous",
                action=actions.ENDPOINT_SCORE,
                target=f"{self._stores.workspaces.get().resource_id}/onlineEndpoints/{denial['endpoint']}",
                outcome=AuditOutcome.DENIED,
                status_code=int(denial["status"]),
                details={"client": denial["client"], "count": denial["count"], "source": "inference gateway"},
            )

    def _push(self) -> None:
        """Give the gateway the whole serving state (it starts when the first endpoint exists)."""
        endpoints = {}
        for endpoint in self._stores.endpoints.list():
            records = self._stores.endpoints.deployments(endpoint.name)
            endpoints[endpoint.name] = EndpointRoute(
                name=endpoint.name,
                auth_mode=endpoint.auth_mode,
                key_hashes=self._stores.endpoints.key_digests(endpoint.name),
                traffic=endpoint.traffic or {},
                mirror_traffic=endpoint.mirror_traffic or {},
                deployments={r.deployment.name: r.runtime for r in records if r.runtime is not None},
            )
        token_key = self._stores.endpoints.token_key().hex()
        self._gateway.push(ServingState(workspace_id=self._workspace_id, token_key=token_key, endpoints=endpoints))


def _readiness_timeout(deployment: ManagedOnlineDeployment) -> float:
    """How long a worker may take to load its model: the readiness probe's initial delay plus its
    failure threshold of periods (Azure ML's defaults give 310 s)."""
    probe = deployment.readiness_probe
    return float(probe.initial_delay + probe.period * probe.failure_threshold)


def _link_copy(source: Path, target: Path) -> None:
    """A copy made of hard links where the file system allows (no bytes copied), real files otherwise.
    Not symbolic links: MLflow refuses to load models through links that lead out of their folder."""

    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    if source.is_dir():
        shutil.copytree(source, target, copy_function=link)
    else:
        link(str(source), str(target))
