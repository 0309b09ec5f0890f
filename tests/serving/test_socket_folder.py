"""Workers' Unix sockets live in ``$TMPDIR/lakebox-<uid>``, a folder nobody else may own or write."""

from __future__ import annotations

import asyncio
import os
import stat
import sys
import tempfile
from pathlib import Path

import pytest

from lakebox.entities.serving import WorkerSpec
from lakebox.serving.pool import DeploymentPool, socket_folder


@pytest.fixture
def temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path / f"lakebox-{os.getuid()}"


def test_the_folder_is_made_private_and_a_loose_one_of_ours_is_tightened(temporary: Path) -> None:
    assert socket_folder() == temporary and stat.S_IMODE(temporary.stat().st_mode) == 0o700
    temporary.chmod(0o777)
    socket_folder()
    assert stat.S_IMODE(temporary.stat().st_mode) == 0o700


@pytest.mark.parametrize("target", ["a folder", "nothing"])
def test_a_symlink_in_its_place_is_refused(temporary: Path, tmp_path: Path, target: str) -> None:
    if target == "a folder":
        (tmp_path / "elsewhere").mkdir()
    temporary.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(PermissionError, match="is not a folder of this user's"):
        socket_folder()


@pytest.mark.skipif(os.getuid() != 0, reason="giving a folder to another user needs root")
def test_a_folder_somebody_else_made_first_is_refused(temporary: Path) -> None:
    temporary.mkdir(mode=0o777)
    os.chown(temporary, 65534, 65534)  # nobody
    with pytest.raises(PermissionError, match="remove it"):
        socket_folder()


def test_a_deployment_whose_socket_folder_is_not_private_fails_with_the_reason(temporary: Path, tmp_path: Path) -> None:
    temporary.symlink_to(tmp_path)
    spec = WorkerSpec(
        generation="g1", mode="mlflow", python=sys.executable, workdir=str(tmp_path), log_dir=str(tmp_path)
    )
    pool = DeploymentPool("ep", "blue", spec)
    assert asyncio.run(pool.start()) is False  # and stopping the failed pool raised nothing
    assert pool.state == "failed" and "is not a folder of this user's" in (pool.error or "")
