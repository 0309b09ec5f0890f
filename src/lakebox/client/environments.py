"""``ml_client.environments``: register environments, and resolve ``name:version`` / ``name@latest``."""

from __future__ import annotations

import builtins

from lakebox.client._http import ApiClient
from lakebox.entities import Environment
from lakebox.entities.reference import parse_reference
from lakebox.environments.spec import CURATED_DEFAULT


class EnvironmentOperations:
    def __init__(self, api: ApiClient) -> None:
        self._api = api

    def create_or_update(self, environment: Environment) -> Environment:
        """Register a version of the environment (the next integer when ``version`` is not set)."""
        body = environment.model_dump(mode="json")
        return Environment.model_validate(self._api.request("POST", "/api/v1/environments", json=body))

    def get(self, name: str, version: str | None = None, label: str | None = None) -> Environment:
        """A version, or the latest with ``label="latest"`` (or neither)."""
        params = {"version": None if label == "latest" else version}
        return Environment.model_validate(self._api.request("GET", f"/api/v1/environments/{name}", params=params))

    def list(self, name: str | None = None) -> builtins.list[Environment]:
        items = self._api.request("GET", "/api/v1/environments", params={"name": name})
        return [Environment.model_validate(item) for item in items]

    def resolve(self, reference: str) -> Environment:
        """``azureml:name:version``, ``name:version``, ``name@latest`` or ``name`` to the registered environment."""
        return self.get(*parse_reference(reference))

    def inline(self, environment: Environment | str | None) -> Environment | None:
        """What a job or deployment sends: an inline environment as it is, a reference to a registered one
        resolved to it, the curated one as None."""
        if environment is None or isinstance(environment, Environment):
            return environment
        if parse_reference(environment)[0] == CURATED_DEFAULT:
            return None
        return self.resolve(environment)
