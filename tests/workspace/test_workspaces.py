"""Creating, finding and deleting workspaces on disk."""

from __future__ import annotations

import json
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest

from lakebox.errors import BadRequestError, ConflictError, NotFoundError, UnavailableError, ValidationError
from lakebox.workspace.layout import WorkspaceLayout
from lakebox.workspace.lookup import find_workspace, list_workspaces
from lakebox.workspace.manager import create_workspace, delete_workspace, open_stores


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_create_lays_out_the_workspace(home: Path) -> None:
    layout, workspace = create_workspace("my-sub", "rg-ml", "ml-workspace-prod")

    assert layout.root == home / "workspaces" / "my-sub" / "rg-ml" / "ml-workspace-prod"
    assert json.loads(layout.config_file.read_text()) == {
        "subscription_id": "my-sub",
        "resource_group": "rg-ml",
        "workspace_name": "ml-workspace-prod",
        "workspace_id": workspace.id,
    }
    assert layout.default_datastore_dir.is_dir()
    assert layout.mlflow_artifacts_dir.is_dir()
    assert _mode(layout.private_dir) == 0o700
    assert _mode(layout.owner_token_file) == 0o600
    assert _mode(layout.audit_key_file) == 0o600
    assert layout.owner_token() is not None and layout.owner_token().startswith("lbx_")
    with sqlite3.connect(layout.database_file) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        # the token is stored only as a hash
        assert layout.owner_token() not in str(db.execute("SELECT * FROM api_tokens").fetchall())
    with sqlite3.connect(layout.mlflow_database_file) as db:
        assert db.execute("SELECT name FROM experiments").fetchall() == [("Default",)]
    stores = open_stores(layout)
    try:
        assert stores.workspaces.get() == workspace
        [genesis] = stores.audit.list()
        assert (genesis.seq, genesis.action, genesis.status_code) == (1, "lakebox/workspaces/write", 201)
        assert genesis.target == workspace.resource_id
    finally:
        stores.close()
    assert [e.workspace_name for e in list_workspaces()] == ["ml-workspace-prod"]


def test_create_at_a_chosen_path(home: Path, tmp_path: Path) -> None:
    layout, _ = create_workspace("s", "rg", "elsewhere", path=tmp_path / "projects" / "ws")
    assert layout.root == tmp_path / "projects" / "ws"
    assert find_workspace(name="elsewhere").root == layout.root


def test_duplicate_and_invalid_names_are_refused(home: Path, tmp_path: Path) -> None:
    create_workspace("s", "rg", "twice")
    with pytest.raises(ConflictError, match="already exists"):
        create_workspace("s", "RG", "TWICE")
    with pytest.raises(ValidationError, match="workspace name 'x!' is invalid"):
        create_workspace("s", "rg", "x!")
    with pytest.raises(ValidationError, match=r"subscription/resource group '\.\./up' is invalid"):
        create_workspace("s", "../up", "fine-name")
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "keep.txt").write_text("mine")
    with pytest.raises(ConflictError, match="not empty"):
        create_workspace("s", "rg", "other", path=occupied)
    assert (occupied / "keep.txt").read_text() == "mine"


def test_failed_create_leaves_nothing_behind(home: Path, tmp_path: Path) -> None:
    target = tmp_path / "broken"
    with pytest.raises(UnavailableError):
        create_workspace("s", "rg", "broken", path=target, database_url="sqlite:////nonexistent-dir/x.db")
    assert not target.exists()
    assert list_workspaces() == []


def test_find_by_config_json_copied_into_a_project(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As with Azure ML, a project keeps config.json (or .azureml/config.json) and code finds the workspace."""
    layout, _ = create_workspace("s", "rg", "proj-ws")
    create_workspace("s", "rg", "other-ws")
    project = tmp_path / "project" / "src" / "deep"
    project.mkdir(parents=True)
    (tmp_path / "project" / ".azureml").mkdir()
    shutil.copy(layout.config_file, tmp_path / "project" / ".azureml" / "config.json")
    (tmp_path / "project" / "src" / "config.json").write_text('{"unrelated": true}')
    monkeypatch.chdir(project)
    assert find_workspace().root == layout.root


def test_find_errors_say_what_to_do(home: Path) -> None:
    with pytest.raises(NotFoundError, match="lakebox workspace create"):
        find_workspace()
    create_workspace("s1", "rg", "same-name")
    create_workspace("s2", "rg", "same-name")
    with pytest.raises(BadRequestError, match="several workspaces match"):
        find_workspace(name="same-name")
    assert find_workspace(name="same-name", subscription_id="s2").read_config().subscription_id == "s2"
    with pytest.raises(NotFoundError, match="not a lakebox workspace"):
        find_workspace(path=home)


def test_delete_removes_folder_and_registration(home: Path) -> None:
    layout, _ = create_workspace("s", "rg", "doomed")
    delete_workspace(layout)
    assert not layout.root.exists()
    assert list_workspaces() == []
    with pytest.raises(NotFoundError):
        find_workspace(name="doomed")


def test_stale_registration_is_reported(home: Path) -> None:
    layout, _ = create_workspace("s", "rg", "vanished")
    shutil.rmtree(layout.root)
    with pytest.raises(NotFoundError, match="which is gone"):
        find_workspace(name="vanished")
    # and the name can be used again
    again, _ = create_workspace("s", "rg", "vanished")
    assert WorkspaceLayout(again.root).is_workspace()
