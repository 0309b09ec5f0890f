"""Resolving lake URIs to folders of registered datastores.

``azureml://datastores/<store>/paths/<path>`` names a datastore directly;
``abfss://<container>@<account>.dfs.core.windows.net/<path>`` (and ``abfs://``, ``wasbs://`` on
``blob.core.windows.net``) names one through the account and container it was registered with.
Plain paths and ``file://`` URIs are local paths. A path may not climb out of its datastore.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from lakebox.entities import Datastore
from lakebox.errors import NotFoundError, ValidationError

_AZUREML = re.compile(r"^azureml://datastores/(?P<store>[^/]+)/paths/?(?P<path>.*)$")
_AZURE_STORAGE = re.compile(
    r"^(?:abfss?|wasbs?)://(?P<container>[^@/]+)@(?P<account>[^./]+)\.(?:dfs|blob)\.core\.windows\.net/?(?P<path>.*)$"
)


@dataclass(frozen=True)
class LakeLocation:
    """A place in the lake: the datastore, the path inside it, and the folder or file it is here."""

    datastore: str
    path: str
    local_path: Path

    @property
    def uri(self) -> str:
        return f"azureml://datastores/{self.datastore}/paths/{self.path}"


def is_lake_uri(value: str) -> bool:
    return bool(_AZUREML.match(value) or _AZURE_STORAGE.match(value))


class LakeResolver:
    """Resolves URIs against a set of datastores, each with its ``local_path`` filled in."""

    def __init__(self, datastores: Iterable[Datastore]) -> None:
        self._by_name = {store.name: store for store in datastores}
        self._by_account = {
            (store.account_name.lower(), store.container_name.lower()): store
            for store in self._by_name.values()
            if store.account_name and store.container_name
        }

    def resolve(self, uri: str) -> LakeLocation:
        """The location a lake URI names; ``NotFoundError`` names the unknown datastore or account."""
        if match := _AZUREML.match(uri):
            store = self._by_name.get(match["store"])
            if store is None:
                raise NotFoundError(
                    f"datastore {match['store']!r} in {uri} not found; known: {', '.join(sorted(self._by_name))}"
                )
        elif match := _AZURE_STORAGE.match(uri):
            key = (match["account"].lower(), match["container"].lower())
            store = self._by_account.get(key)
            if store is None:
                raise NotFoundError(
                    f"no datastore is registered for container {match['container']!r} of storage account "
                    f"{match['account']!r} ({uri}); register one with account_name and container_name"
                )
        else:
            raise ValidationError(f"{uri} is not an azureml://datastores/... or abfss://... URI")
        return self._locate(store, unquote(match["path"]))

    def local_path(self, path_or_uri: str) -> Path:
        """The local path for a lake URI, a ``file://`` URI or a plain path."""
        if is_lake_uri(path_or_uri):
            return self.resolve(path_or_uri).local_path
        return Path(path_or_uri.removeprefix("file://")).expanduser()

    def root_of(self, datastore: str) -> Path:
        """The folder of a datastore."""
        store = self._by_name.get(datastore)
        if store is None or store.local_path is None:
            raise NotFoundError(f"datastore {datastore!r} not found")
        return Path(store.local_path)

    def datastore_of(self, path: Path) -> str | None:
        """The datastore whose folder holds ``path`` (the innermost one), if any."""
        resolved = path.resolve()
        holders = [
            (len(Path(store.local_path).parts), store.name)
            for store in self._by_name.values()
            if store.local_path and (resolved == Path(store.local_path) or Path(store.local_path) in resolved.parents)
        ]
        return max(holders)[1] if holders else None

    @staticmethod
    def _locate(store: Datastore, path: str) -> LakeLocation:
        assert store.local_path is not None, "datastores given to a LakeResolver carry their local_path"
        root = Path(store.local_path).resolve()
        resolved = (root / path).resolve()
        if resolved != root and root not in resolved.parents:
            raise ValidationError(f"path {path!r} leaves datastore {store.name}")
        return LakeLocation(store.name, path, resolved)
