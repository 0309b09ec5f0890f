"""``ml_client.compute``: compute clusters, with Azure ML's ``begin_*`` shape."""

from __future__ import annotations

from lakebox.client._http import ApiClient
from lakebox.client.poller import LROPoller
from lakebox.entities import ComputeCluster


class ComputeOperations:
    def __init__(self, api: ApiClient) -> None:
        self._api = api

    def begin_create_or_update(self, compute: ComputeCluster) -> LROPoller[ComputeCluster]:
        body = compute.model_dump(mode="json", exclude={"provisioning_state", "created_at"})
        stored = self._api.request("PUT", f"/api/v1/computes/{compute.name}", json=body)
        return LROPoller.completed(ComputeCluster.model_validate(stored))

    def get(self, name: str) -> ComputeCluster:
        return ComputeCluster.model_validate(self._api.request("GET", f"/api/v1/computes/{name}"))

    def list(self) -> list[ComputeCluster]:
        return [ComputeCluster.model_validate(item) for item in self._api.request("GET", "/api/v1/computes")]

    def begin_delete(self, name: str) -> LROPoller[None]:
        self._api.request("DELETE", f"/api/v1/computes/{name}")
        return LROPoller.completed(None)
