"""``ml_client.online_endpoints`` and ``ml_client.online_deployments``: Azure ML's operations on online endpoints."""

from __future__ import annotations

import builtins
from pathlib import Path

import httpx

from lakebox.client._deployments import DeploymentOperations, EndpointOperations
from lakebox.client._http import DEFAULT_TIMEOUT
from lakebox.client.poller import LROPoller
from lakebox.entities.endpoint import (
    DeploymentLogs,
    EndpointAuthKeys,
    EndpointAuthToken,
    ManagedOnlineDeployment,
    ManagedOnlineEndpoint,
)
from lakebox.entities.rollout import FINISHED, DeployIfBetter, Rollout
from lakebox.errors import DeploymentFailedError, error_from_response

_PATH = "/api/v1/onlineEndpoints"


class OnlineEndpointOperations(EndpointOperations[ManagedOnlineEndpoint]):
    _path = _PATH
    _entity = ManagedOnlineEndpoint
    _server_fields = frozenset({"scoring_uri", "openapi_uri", "provisioning_state"})

    def get_keys(self, name: str) -> EndpointAuthKeys | EndpointAuthToken:
        """The primary and secondary keys (key auth), or a fresh scoring token (aml_token auth)."""
        if self.get(name).auth_mode == "key":
            return EndpointAuthKeys.model_validate(self._api.request("POST", f"{_PATH}/{name}/listKeys"))
        return EndpointAuthToken.model_validate(self._api.request("POST", f"{_PATH}/{name}/token"))

    def begin_regenerate_keys(self, name: str, key_type: str = "primary") -> LROPoller[None]:
        """Replace one key; the old value stops working at once."""
        self._api.request("POST", f"{_PATH}/{name}/regenerateKeys", json={"key_type": key_type})
        return LROPoller.completed(None)

    def begin_deploy_if_better(self, policy: DeployIfBetter) -> LROPoller[Rollout]:
        """Score ``policy.candidate`` against the production model on held-out data and, only if it is better,
        register and deploy it and shift traffic to it in steps, rolling back on errors or latency.
        ``.result()`` waits for the outcome: a ``Rollout`` whose ``status`` and ``reason`` give the decision."""
        body = policy.model_dump(mode="json")
        started = Rollout.model_validate(
            self._api.request("POST", f"{_PATH}/{policy.endpoint_name}/rollouts", json=body)
        )
        return LROPoller(lambda: self._rollout_done(policy.endpoint_name, started.name), interval=0.5)

    def _rollout_done(self, endpoint_name: str, name: str) -> tuple[bool, Rollout | None]:
        rollout = self.get_rollout(endpoint_name, name)
        return rollout.status in FINISHED, rollout

    def get_rollout(self, endpoint_name: str, name: str) -> Rollout:
        return Rollout.model_validate(self._api.request("GET", f"{_PATH}/{endpoint_name}/rollouts/{name}"))

    def list_rollouts(self, endpoint_name: str) -> builtins.list[Rollout]:
        """The endpoint's deploy-if-better decisions, latest first."""
        return [Rollout.model_validate(r) for r in self._api.request("GET", f"{_PATH}/{endpoint_name}/rollouts")]

    def invoke(
        self,
        endpoint_name: str,
        request_file: str | Path | None = None,
        deployment_name: str | None = None,
        *,
        body: bytes | str | None = None,
    ) -> str:
        """Score the JSON in ``request_file`` (or ``body``) on the endpoint; returns the response text."""
        endpoint = self.get(endpoint_name)
        assert endpoint.scoring_uri is not None
        credential = self.get_keys(endpoint_name)
        secret = credential.primary_key if isinstance(credential, EndpointAuthKeys) else credential.access_token
        headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
        if deployment_name:
            headers["azureml-model-deployment"] = deployment_name
        content = Path(request_file).read_bytes() if request_file is not None else body or b""
        response = httpx.post(endpoint.scoring_uri, content=content, headers=headers, timeout=DEFAULT_TIMEOUT)
        if not response.is_success:
            raise error_from_response(response.status_code, response.text)
        return response.text


class OnlineDeploymentOperations(DeploymentOperations[ManagedOnlineDeployment]):
    _path = _PATH
    _entity = ManagedOnlineDeployment

    def begin_create_or_update(self, deployment: ManagedOnlineDeployment) -> LROPoller[ManagedOnlineDeployment]:
        """Upload the scoring code, register an unregistered model, and provision; ``.result()`` waits until
        the workers are ready, raising ``DeploymentFailedError`` with their logs if they fail."""
        body = self._uploaded(deployment).model_dump(mode="json")
        self._api.request("PUT", self._url(deployment.endpoint_name, deployment.name), json=body)
        return LROPoller(lambda: self._poll(deployment.endpoint_name, deployment.name), interval=0.2)

    def _poll(self, endpoint_name: str, name: str) -> tuple[bool, ManagedOnlineDeployment | None]:
        current = self.get(name, endpoint_name)
        if current.provisioning_state == "Failed":
            raise DeploymentFailedError(f"deployment {name} of {endpoint_name} failed: {current.error}")
        return current.provisioning_state == "Succeeded", current

    def get_logs(self, name: str, endpoint_name: str, lines: int = 100, container_type: str | None = None) -> str:
        params = {"lines": lines, "container_type": container_type}
        logs = self._api.request("GET", f"{self._url(endpoint_name, name)}/logs", params=params)
        return DeploymentLogs.model_validate(logs).text
