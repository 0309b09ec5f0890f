"""``ml_client.models``: register, find, archive and download model versions."""

from __future__ import annotations

import builtins
from pathlib import Path

from lakebox.client._http import ApiClient
from lakebox.entities.model import Model, ModelCreate
from lakebox.jobs.code import pack, unpack

_REMOTE_PREFIXES = ("azureml:", "runs:/", "abfss://", "wasbs://", "https://", "http://")


class ModelOperations:
    def __init__(self, api: ApiClient) -> None:
        self._api = api

    def create_or_update(self, model: Model) -> Model:
        """Register the next version of ``model.name`` (or ``model.version``); a local ``path`` is uploaded."""
        body = ModelCreate.model_validate(model.model_dump())
        if model.path and not model.path.startswith(_REMOTE_PREFIXES):
            local = Path(model.path).expanduser().resolve()
            response = self._api.request(
                "POST", "/api/v1/code", content=pack(local, honour_ignore_files=False), content_type="application/gzip"
            )
            body.upload_id = str(response["code_id"])
        return Model.model_validate(self._api.request("POST", "/api/v1/models", json=body.model_dump(mode="json")))

    def get(self, name: str, version: str | None = None, label: str | None = None) -> Model:
        """A version, the newest unarchived one (``label="latest"`` or neither), or the one with an MLflow alias."""
        params = {"version": version, "label": label}
        return Model.model_validate(self._api.request("GET", f"/api/v1/models/{name}", params=params))

    def list(self, name: str | None = None, *, archived: bool = True) -> builtins.list[Model]:
        """Every version of ``name`` (newest first), or the newest version of every model."""
        items = self._api.request("GET", "/api/v1/models", params={"name": name, "archived": archived})
        return [Model.model_validate(item) for item in items]

    def archive(self, name: str, version: str | None = None) -> Model:
        return Model.model_validate(
            self._api.request("POST", f"/api/v1/models/{name}/archive", params={"version": version})
        )

    def restore(self, name: str, version: str | None = None) -> Model:
        return Model.model_validate(
            self._api.request("POST", f"/api/v1/models/{name}/restore", params={"version": version})
        )

    def download(self, name: str, version: str, download_path: str | Path = ".") -> Path:
        """Download a version's files to ``download_path/<name>/<folder>``, as Azure ML lays them out."""
        data = self._api.request("GET", f"/api/v1/models/{name}/versions/{version}/files")
        target = Path(download_path) / name
        unpack(data, target)
        return target
