"""Create, find, list and delete workspaces."""

from __future__ import annotations

import getpass
import json
import secrets
import shutil
import uuid
from pathlib import Path

import pydantic

from lakebox.entities import AuditOutcome, IdentityKind, Workspace, WorkspaceConfig
from lakebox.errors import BadRequestError, ConflictError, NotFoundError, ValidationError
from lakebox.security.actions import WORKSPACE_WRITE
from lakebox.security.bootstrap import OWNER_TOKEN_NAME, ensure_defaults
from lakebox.store.stores import Stores
from lakebox.vault.crypto import load_master_key
from lakebox.workspace.layout import CONFIG_FILE, WorkspaceLayout, write_atomic, write_private
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


def list_workspaces(registry: WorkspaceRegistry | None = None) -> list[RegistryEntry]:
    return (registry or WorkspaceRegistry()).entries()


def find_workspace(
    *,
    path: Path | None = None,
    name: str | None = None,
    resource_group: str | None = None,
    subscription_id: str | None = None,
    registry: WorkspaceRegistry | None = None,
) -> WorkspaceLayout:
    """The workspace named by ``path``, by name (and group, subscription), by a ``config.json`` found
    from the current folder upwards, or the only registered workspace, in that order."""
    registry = registry or WorkspaceRegistry()
    if path is not None:
        layout = WorkspaceLayout(path.resolve())
        if not layout.is_workspace():
            raise NotFoundError(f"{layout.root} is not a lakebox workspace")
        return layout
    if name is None:
        config_file = find_config_file(Path.cwd())
        if config_file is not None:
            if WorkspaceLayout(config_file.parent).is_workspace():
                return WorkspaceLayout(config_file.parent)
            config = WorkspaceLayout(config_file.parent).read_config()
            name, resource_group, subscription_id = (
                config.workspace_name,
                config.resource_group,
                config.subscription_id,
            )
    matches = [
        entry
        for entry in registry.entries()
        if (name is None or entry.workspace_name.lower() == name.lower())
        and (resource_group is None or entry.resource_group.lower() == resource_group.lower())
        and (subscription_id is None or entry.subscription_id.lower() == subscription_id.lower())
    ]
    if not matches:
        wanted = f"workspace {name!r}" if name else "workspace"
        raise NotFoundError(
            f"found no {wanted} in {registry.file}; create one with "
            "`lakebox workspace create --subscription S --resource-group R --name W`"
        )
    if len(matches) > 1:
        listed = ", ".join(f"{m.subscription_id}/{m.resource_group}/{m.workspace_name}" for m in matches)
        raise BadRequestError(f"several workspaces match ({listed}); name one (with its resource group)")
    layout = WorkspaceLayout(matches[0].path)
    if not layout.is_workspace():
        raise NotFoundError(f"workspace {matches[0].workspace_name!r} is registered at {layout.root}, which is gone")
    return layout


def find_config_file(start: Path) -> Path | None:
    """The nearest ``config.json`` or ``.azureml/config.json`` at or above ``start``, as Azure ML looks."""
    for folder in (start, *start.parents):
        for candidate in (folder / CONFIG_FILE, folder / ".azureml" / CONFIG_FILE):
            if candidate.is_file() and _names_a_workspace(candidate):
                return candidate
    return None


def _names_a_workspace(config_file: Path) -> bool:
    try:
        return "workspace_name" in json.loads(config_file.read_text())
    except (ValueError, OSError):
        return False


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
