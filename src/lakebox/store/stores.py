"""All stores of one metadata database, opened (and migrated) together."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lakebox.entities import Data, Environment
from lakebox.entities.connection import WorkspaceConnection
from lakebox.entities.linked_service import LinkedService
from lakebox.entities.rollout import Rollout
from lakebox.entities.spark_pool import SparkPool
from lakebox.entities.warehouse import WarehouseSettings
from lakebox.errors import LakeboxError
from lakebox.store.audit import AuditStore
from lakebox.store.authorization import AuthorizationStore
from lakebox.store.computes import ComputeStore
from lakebox.store.datastores import DatastoreStore
from lakebox.store.db import Database
from lakebox.store.endpoints import EndpointStore
from lakebox.store.identities import IdentityStore
from lakebox.store.jobs import JobStore
from lakebox.store.models import DataAssetRow, EnvironmentRow
from lakebox.store.pipelines import PipelineStore
from lakebox.store.schedules import ScheduleStore
from lakebox.store.specs import SpecStore
from lakebox.store.vaults import VaultStore
from lakebox.store.versioned import VersionedStore
from lakebox.store.workspaces import WorkspaceStore


def _no_master_key() -> bytes:
    raise LakeboxError("these stores were opened without a vault master key")


@dataclass(frozen=True)
class Stores:
    db: Database
    workspaces: WorkspaceStore
    identities: IdentityStore
    audit: AuditStore
    authorization: AuthorizationStore
    computes: ComputeStore
    datastores: DatastoreStore
    environments: VersionedStore[Environment]
    data: VersionedStore[Data]
    jobs: JobStore
    vaults: VaultStore
    endpoints: EndpointStore
    connections: SpecStore[WorkspaceConnection]
    spark_pools: SpecStore[SparkPool]
    linked_services: SpecStore[LinkedService]
    warehouse_settings: SpecStore[WarehouseSettings]
    pipelines: PipelineStore
    schedules: ScheduleStore
    rollouts: SpecStore[Rollout]

    @classmethod
    def open(
        cls,
        database_url: str,
        *,
        audit_key: bytes,
        master_key: Callable[[], bytes] = _no_master_key,
        upgrade: bool = True,
    ) -> Stores:
        db = Database(database_url)
        if upgrade:
            db.upgrade()
        return cls(
            db=db,
            workspaces=WorkspaceStore(db),
            identities=IdentityStore(db),
            audit=AuditStore(db, audit_key),
            authorization=AuthorizationStore(db),
            computes=ComputeStore(db),
            datastores=DatastoreStore(db),
            environments=VersionedStore(db, EnvironmentRow, "environment"),
            data=VersionedStore(db, DataAssetRow, "data asset"),
            jobs=JobStore(db),
            vaults=VaultStore(db, master_key),
            endpoints=EndpointStore(db, master_key),
            connections=SpecStore(db, "connection", WorkspaceConnection, "connection"),
            spark_pools=SpecStore(db, "spark_pool", SparkPool, "Spark pool"),
            linked_services=SpecStore(db, "linked_service", LinkedService, "linked service"),
            warehouse_settings=SpecStore(db, "warehouse_settings", WarehouseSettings, "warehouse settings"),
            pipelines=PipelineStore(db),
            schedules=ScheduleStore(db),
            rollouts=SpecStore(db, "rollout", Rollout, "rollout"),
        )

    def close(self) -> None:
        self.db.dispose()
