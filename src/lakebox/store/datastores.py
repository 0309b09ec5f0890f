"""Registered datastores. Paths are stored as given (None: the workspace's own folder for it)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from lakebox.entities import Datastore
from lakebox.entities.datastore import DEFAULT_DATASTORE
from lakebox.errors import BadRequestError, ConflictError, NotFoundError
from lakebox.store.db import Database
from lakebox.store.models import DatastoreRow

_SERVER_FIELDS = {"name", "local_path", "is_default"}


class DatastoreStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def ensure_default(self) -> None:
        """Register ``workspaceblobstore`` (the workspace's own folder) unless it already is."""
        with self._db.write_lock, self._db.session() as session:
            if session.get(DatastoreRow, DEFAULT_DATASTORE) is None:
                default = Datastore(name=DEFAULT_DATASTORE, type="azure_blob", description="The default datastore")
                session.add(DatastoreRow(name=DEFAULT_DATASTORE, spec=default.model_dump(exclude=_SERVER_FIELDS)))

    def put(self, datastore: Datastore) -> tuple[Datastore, bool]:
        """Create or update; an account and container pair maps to one datastore only."""
        if datastore.name == DEFAULT_DATASTORE and datastore.path is not None:
            raise BadRequestError(f"{DEFAULT_DATASTORE} is the workspace's own folder; its path cannot change")
        with self._db.write_lock, self._db.session() as session:
            if datastore.account_name and datastore.container_name:
                self._check_account_free(session.scalars(select(DatastoreRow)).all(), datastore)
            row = session.get(DatastoreRow, datastore.name)
            created = row is None
            spec = datastore.model_dump(mode="json", exclude=_SERVER_FIELDS)
            if row is None:
                row = DatastoreRow(name=datastore.name, spec=spec)
                session.add(row)
            else:
                row.spec = spec
            session.flush()
            return row.to_entity(), created

    def get(self, name: str) -> Datastore:
        with self._db.session() as session:
            row = session.get(DatastoreRow, name)
            if row is None:
                raise NotFoundError(f"datastore {name!r} not found")
            return row.to_entity()

    def list(self) -> list[Datastore]:
        with self._db.session() as session:
            return [row.to_entity() for row in session.scalars(select(DatastoreRow).order_by(DatastoreRow.name))]

    def delete(self, name: str) -> None:
        """Unregister a datastore; its files stay where they are."""
        if name == DEFAULT_DATASTORE:
            raise BadRequestError(f"{DEFAULT_DATASTORE} is the workspace's default datastore and cannot be deleted")
        with self._db.write_lock, self._db.session() as session:
            row = session.get(DatastoreRow, name)
            if row is None:
                raise NotFoundError(f"datastore {name!r} not found")
            session.delete(row)

    @staticmethod
    def _check_account_free(rows: Sequence[DatastoreRow], datastore: Datastore) -> None:
        assert datastore.account_name and datastore.container_name
        wanted = (datastore.account_name.lower(), datastore.container_name.lower())
        for row in rows:
            other = row.to_entity()
            if (
                other.name != datastore.name
                and (
                    (other.account_name or "").lower(),
                    (other.container_name or "").lower(),
                )
                == wanted
            ):
                raise ConflictError(
                    f"container {datastore.container_name!r} of account {datastore.account_name!r} "
                    f"is already datastore {other.name!r}"
                )
