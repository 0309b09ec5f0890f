"""``ml_client.data``: register data assets and resolve ``azureml:<name>:<version>``."""

from __future__ import annotations

import builtins
from pathlib import Path
from urllib.parse import quote

from lakebox.client._http import ApiClient
from lakebox.entities import Data
from lakebox.lake.uris import is_lake_uri


class DataOperations:
    def __init__(self, api: ApiClient) -> None:
        self._api = api

    def create_or_update(self, data: Data) -> Data:
        """Register a version (the next integer when ``version`` is not set). Local paths are recorded
        as absolute paths on this machine."""
        if not is_lake_uri(data.path):
            data = data.model_copy(update={"path": str(Path(data.path).expanduser().resolve())})
        return Data.model_validate(self._api.request("POST", "/api/v1/data", json=data.model_dump(mode="json")))

    def get(self, name: str, version: str | None = None, label: str | None = None) -> Data:
        """A version, or the latest with ``label="latest"`` (or neither)."""
        params = {"version": None if label == "latest" else version}
        return Data.model_validate(self._api.request("GET", f"/api/v1/data/{quote(name)}", params=params))

    def list(self, name: str | None = None) -> builtins.list[Data]:
        return [Data.model_validate(item) for item in self._api.request("GET", "/api/v1/data", params={"name": name})]
