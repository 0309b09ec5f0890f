"""Where each part of a workspace lives inside its folder."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from lakebox.entities import WorkspaceConfig
from lakebox.entities.datastore import DEFAULT_DATASTORE
from lakebox.errors import NotFoundError

CONFIG_FILE = "config.json"


@dataclass(frozen=True)
class WorkspaceLayout:
    """The folder of one workspace::

    config.json              Azure ML-style config, read by MLClient.from_config()
    lakebox.db               metadata database (SQLite, WAL) unless a PostgreSQL URL is configured
    mlflow/mlflow.db         MLflow tracking and model registry store
    mlflow/artifacts/        MLflow artifact root, served through the workspace server
    datastores/workspaceblobstore/   the default datastore
    warehouse/warehouse.duckdb       the SQL warehouse (served by the workspace server only)
    jobs/<name>/             a job's code snapshot and user_logs/std_log.txt
    .lakebox/                private runtime state (0700): server record, lock, log, keys, tokens, code
    """

    root: Path

    @property
    def config_file(self) -> Path:
        return self.root / CONFIG_FILE

    @property
    def database_file(self) -> Path:
        return self.root / "lakebox.db"

    @property
    def mlflow_dir(self) -> Path:
        return self.root / "mlflow"

    @property
    def mlflow_database_file(self) -> Path:
        return self.mlflow_dir / "mlflow.db"

    @property
    def mlflow_artifacts_dir(self) -> Path:
        return self.mlflow_dir / "artifacts"

    @property
    def datastores_dir(self) -> Path:
        return self.root / "datastores"

    @property
    def default_datastore_dir(self) -> Path:
        return self.datastores_dir / DEFAULT_DATASTORE

    @property
    def warehouse_file(self) -> Path:
        return self.root / "warehouse" / "warehouse.duckdb"

    @property
    def jobs_dir(self) -> Path:
        """One folder per job: its code snapshot and its logs."""
        return self.root / "jobs"

    @property
    def code_dir(self) -> Path:
        """Uploaded code snapshots, by content hash."""
        return self.private_dir / "code"

    @property
    def compiled_models_dir(self) -> Path:
        """Models compiled for batch scoring, by the digest of the model file they were compiled from."""
        return self.root / "compiled-models"

    @property
    def serving_dir(self) -> Path:
        """One folder per online deployment: its runtime (code and model links) and its logs."""
        return self.root / "serving"

    @property
    def gateway_record_file(self) -> Path:
        return self.private_dir / "gateway.json"

    @property
    def gateway_lock_file(self) -> Path:
        return self.private_dir / "gateway.lock"

    @property
    def gateway_log_file(self) -> Path:
        return self.private_dir / "gateway.log"

    @property
    def gateway_admin_key_file(self) -> Path:
        return self.private_dir / "gateway-admin.key"

    @property
    def gateway_state_file(self) -> Path:
        """What the gateway serves (key hashes, token key): private, served again after a restart."""
        return self.private_dir / "gateway-state.json"

    @property
    def private_dir(self) -> Path:
        return self.root / ".lakebox"

    @property
    def server_record_file(self) -> Path:
        return self.private_dir / "server.json"

    @property
    def server_lock_file(self) -> Path:
        return self.private_dir / "server.lock"

    @property
    def server_start_lock_file(self) -> Path:
        return self.private_dir / "server-start.lock"

    @property
    def server_log_file(self) -> Path:
        return self.private_dir / "server.log"

    @property
    def owner_token_file(self) -> Path:
        return self.private_dir / "owner.token"

    @property
    def audit_key_file(self) -> Path:
        return self.private_dir / "audit.key"

    @property
    def master_key_file(self) -> Path:
        return self.private_dir / "master.key"

    @property
    def database_url_file(self) -> Path:
        return self.private_dir / "database_url"

    def database_url(self) -> str:
        """The metadata database URL: the configured one, else SQLite in the folder."""
        if self.database_url_file.exists():
            return self.database_url_file.read_text().strip()
        return f"sqlite:///{self.database_file}"

    def mlflow_backend_uri(self) -> str:
        return f"sqlite:///{self.mlflow_database_file}"

    def read_config(self) -> WorkspaceConfig:
        try:
            return WorkspaceConfig.model_validate(json.loads(self.config_file.read_text()))
        except FileNotFoundError as exc:
            raise NotFoundError(f"{self.root} is not a lakebox workspace (no {CONFIG_FILE})") from exc

    def is_workspace(self) -> bool:
        return self.config_file.is_file() and self.private_dir.is_dir()

    def owner_token(self) -> str | None:
        try:
            return self.owner_token_file.read_text().strip()
        except FileNotFoundError:
            return None
