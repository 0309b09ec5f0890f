"""Create and delete workspaces, and open their stores (finding them is :mod:`lakebox.workspace.lookup`)."""

from __future__ import annotations

import getpass
import json
import secrets
import shutil
import uuid
from pathlib import Path

import pydantic

from lakebox.entities import AuditOutcome, IdentityKind, Workspace, WorkspaceConfig
from lakebox.errors import ConflictError, NotFoundError, ValidationError
from lakebox.runtime.files import write_atomic, write_private
from lakebox.security.actions import WORKSPACE_WRITE
from lakebox.store.stores import Stores
from lakebox.vault.crypto import load_master_key
from lakebox.workspace.defaults import OWNER_TOKEN_NAME, ensure_defaults
from lakebox.workspace.layout import WorkspaceLayout
from lakebox.workspace.mlflow_store import prepare_mlflow_store
from lakebox.workspace.registry import RegistryEntry, WorkspaceRegistry


def open_stores(layout: WorkspaceLayout) -> Stores:
    """Open the workspace's metadata database, applying pending migrations."""
    return Stores.open(
        layout.database_url(),
        audit_key=layout.audit_key_file.read_bytes(),
        master_key=lambda: load_master_key(layout.master_key_file),
    )


def create_workspace(
    subscription_id: str,
    resource_group: str,
    name: str,
    *,
    path: Path | None = None,
    database_url: str | None = None,
    registry: WorkspaceRegistry | None = None,
) -> tuple[WorkspaceLayout, Workspace]:
    """Create a workspace folder with its database, MLflow store, default datastore and owner token."""
    registry = registry or WorkspaceRegistry()
    try:
        config = WorkspaceConfig(
            subscription_id=subscription_id,
            resource_group=resource_group,
            workspace_name=name,
            workspace_id=str(uuid.uuid4()),
        )
    except pydantic.ValidationError as exc:
        raise ValidationError("; ".join(err["msg"].removeprefix("Value error, ") for err in exc.errors())) from exc
    entry = RegistryEntry(
        subscription_id=subscription_id,
        resource_group=resource_group,
        workspace_name=name,
        path=(path or registry.home / "workspaces" / subscription_id / resource_group / name).resolve(),
    )
    for existing in registry.entries():
        if existing.key() == entry.key() and WorkspaceLayout(existing.path).is_workspace():
            raise ConflictError(f"workspace {name!r} already exists in {resource_group!r} at {existing.path}")
    layout = WorkspaceLayout(entry.path)
    if layout.root.exists() and any(layout.root.iterdir()):
        raise ConflictError(f"{layout.root} exists and is not empty; choose another --path")
    created_root = not layout.root.exists()
    try:
        workspace = _initialise(layout, config, database_url)
    except BaseException:
        shutil.rmtree(layout.root if created_root else layout.private_dir, ignore_errors=True)
        raise
    registry.add(entry)
    return layout, workspace


def _initialise(layout: WorkspaceLayout, config: WorkspaceConfig, database_url: str | None) -> Workspace:
    layout.root.mkdir(parents=True, exist_ok=True)
    layout.private_dir.mkdir(mode=0o700)
    layout.default_datastore_dir.mkdir(parents=True)
    layout.mlflow_artifacts_dir.mkdir(parents=True)
    write_private(layout.audit_key_file, secrets.token_bytes(32))
    if database_url:
        write_private(layout.database_url_file, database_url)
    stores = open_stores(layout)
    try:
        if _holds_workspace(stores):
            raise ConflictError("the metadata database already holds a workspace; give an empty database")
        assert config.workspace_id is not None
        workspace = stores.workspaces.create(
            id=config.workspace_id,
            name=config.workspace_name,
            subscription_id=config.subscription_id,
            resource_group=config.resource_group,
        )
        owner = stores.identities.create(getpass.getuser(), IdentityKind.USER)
        write_private(layout.owner_token_file, stores.identities.issue_token(owner.id, OWNER_TOKEN_NAME) + "\n")
        ensure_defaults(stores, workspace)
        stores.audit.append(
            principal_id=owner.id,
            principal_name=owner.name,
            action=WORKSPACE_WRITE,
            target=workspace.resource_id,
            outcome=AuditOutcome.SUCCEEDED,
            status_code=201,
            details={"path": str(layout.root)},
        )
    finally:
        stores.close()
    prepare_mlflow_store(layout)
    write_atomic(layout.config_file, json.dumps(config.model_dump(exclude_none=True), indent=2) + "\n")
    return workspace


def _holds_workspace(stores: Stores) -> bool:
    try:
        stores.workspaces.get()
    except NotFoundError:
        return False
    return True


def delete_workspace(layout: WorkspaceLayout, registry: WorkspaceRegistry | None = None) -> None:
    """Remove the workspace folder and its registry entry. The server must be stopped first."""
    registry = registry or WorkspaceRegistry()
    config = layout.read_config()
    shutil.rmtree(layout.root)
    registry.remove(
        RegistryEntry(
            subscription_id=config.subscription_id,
            resource_group=config.resource_group,
            workspace_name=config.workspace_name,
            path=layout.root,
        )
    )
