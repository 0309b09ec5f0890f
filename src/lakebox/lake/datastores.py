"""Where registered datastores are on this machine, and the resolver over all of them."""

from __future__ import annotations

from pathlib import Path

from lakebox.entities import Datastore
from lakebox.entities.datastore import DEFAULT_DATASTORE
from lakebox.lake.uris import LakeResolver
from lakebox.store.stores import Stores
from lakebox.workspace.layout import WorkspaceLayout


def locate(datastore: Datastore, layout: WorkspaceLayout) -> Datastore:
    """The datastore with ``local_path`` (its folder) and ``is_default`` filled in."""
    folder = Path(datastore.path).expanduser() if datastore.path else layout.datastores_dir / datastore.name
    return datastore.model_copy(
        update={"local_path": str(folder.resolve()), "is_default": datastore.name == DEFAULT_DATASTORE}
    )


def lake_resolver(stores: Stores, layout: WorkspaceLayout) -> LakeResolver:
    return LakeResolver(locate(store, layout) for store in stores.datastores.list())
