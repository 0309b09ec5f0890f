"""``ml_client.datastores``: register datastores, and resolve lake URIs to where they are."""

from __future__ import annotations

import builtins
from pathlib import Path
from urllib.parse import quote

from lakebox.client._http import ApiClient
from lakebox.entities import Datastore
from lakebox.entities.datastore import DEFAULT_DATASTORE
from lakebox.lake.uris import LakeResolver


class DatastoreOperations:
    def __init__(self, api: ApiClient) -> None:
        self._api = api

    def create_or_update(self, datastore: Datastore) -> Datastore:
        """Register a datastore (``AzureDataLakeGen2Datastore(name, account_name, filesystem)`` and the like)."""
        body = datastore.model_dump(mode="json", exclude={"local_path", "is_default"})
        response = self._api.request("PUT", f"/api/v1/datastores/{quote(datastore.name)}", json=body)
        return Datastore.model_validate(response)

    def get(self, name: str) -> Datastore:
        return Datastore.model_validate(self._api.request("GET", f"/api/v1/datastores/{quote(name)}"))

    def get_default(self) -> Datastore:
        return self.get(DEFAULT_DATASTORE)

    def list(self) -> builtins.list[Datastore]:
        return [Datastore.model_validate(item) for item in self._api.request("GET", "/api/v1/datastores")]

    def delete(self, name: str) -> None:
        """Unregister a datastore; its files stay where they are."""
        self._api.request("DELETE", f"/api/v1/datastores/{quote(name)}")

    def resolver(self) -> LakeResolver:
        """A resolver over the datastores registered now."""
        return LakeResolver(self.list())

    def resolve(self, uri: str) -> Path:
        """The local folder or file behind an ``azureml://datastores/...`` or ``abfss://...`` URI."""
        return self.resolver().local_path(uri)
