"""``ml_client.spark_pools``: Spark pools for ``lakebox.spark.get_session(pool=...)`` and Spark jobs."""

from __future__ import annotations

import builtins
from urllib.parse import quote

from lakebox.client._http import ApiClient
from lakebox.entities import SparkPool


class SparkPoolOperations:
    def __init__(self, api: ApiClient) -> None:
        self._api = api

    def create_or_update(self, pool: SparkPool) -> SparkPool:
        body = pool.model_dump(mode="json")
        return SparkPool.model_validate(self._api.request("PUT", f"/api/v1/sparkPools/{quote(pool.name)}", json=body))

    def get(self, name: str) -> SparkPool:
        return SparkPool.model_validate(self._api.request("GET", f"/api/v1/sparkPools/{quote(name)}"))

    def list(self) -> builtins.list[SparkPool]:
        return [SparkPool.model_validate(item) for item in self._api.request("GET", "/api/v1/sparkPools")]

    def delete(self, name: str) -> None:
        self._api.request("DELETE", f"/api/v1/sparkPools/{quote(name)}")
