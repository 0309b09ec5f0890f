"""Code snapshots: packed by the client (honouring ``.amlignore`` or ``.gitignore``), stored by content hash."""

from __future__ import annotations

import fnmatch
import hashlib
import io
import os
import re
import shutil
import tarfile
import tempfile
from pathlib import Path

from lakebox.errors import NotFoundError, ValidationError

MAX_SNAPSHOT_BYTES = 200 * 2**20
_CODE_ID = re.compile(r"[0-9a-f]{64}")
_ALWAYS_IGNORED = [".git", "__pycache__", "*.pyc", ".venv", ".ipynb_checkpoints"]


def ignore_patterns(folder: Path) -> list[str]:
    """``.amlignore`` if present, else ``.gitignore`` (Azure ML's rule), plus what is never code."""
    for name in (".amlignore", ".gitignore"):
        file = folder / name
        if file.is_file():
            lines = [line.strip() for line in file.read_text().splitlines()]
            return _ALWAYS_IGNORED + [line for line in lines if line and not line.startswith(("#", "!"))]
    return list(_ALWAYS_IGNORED)


def _ignored(relative: str, patterns: list[str]) -> bool:
    parts = relative.split("/")
    for raw in patterns:
        pattern = raw.strip("/")
        if "/" in pattern:
            if fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(relative, pattern + "/*"):
                return True
        elif any(fnmatch.fnmatch(part, pattern) for part in parts):
            return True
    return False


def pack(folder: Path, *, honour_ignore_files: bool = True) -> bytes:
    """A gzipped tar of ``folder`` (without ignored files, for code), or of one file; refuses archives
    over 200 MiB."""
    if not folder.exists():
        raise NotFoundError(f"{folder} does not exist")
    buffer = io.BytesIO()
    if folder.is_file():
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            tar.add(folder, arcname=folder.name, recursive=False)
        return buffer.getvalue()
    patterns = ignore_patterns(folder) if honour_ignore_files else []
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for root, dirs, files in os.walk(folder):
            base = Path(root).relative_to(folder)
            dirs[:] = sorted(d for d in dirs if not _ignored((base / d).as_posix(), patterns))
            for name in sorted(files):
                relative = (base / name).as_posix()
                if not _ignored(relative, patterns):
                    tar.add(Path(root) / name, arcname=relative, recursive=False)
            if buffer.tell() > MAX_SNAPSHOT_BYTES:
                raise ValidationError(f"{folder} is over 200 MiB packed; add an .amlignore (code) or copy it directly")
    return buffer.getvalue()


def store(code_dir: Path, data: bytes) -> str:
    """Unpack a snapshot into ``code_dir/<sha256>`` (once per content); returns its id."""
    if len(data) > MAX_SNAPSHOT_BYTES:
        raise ValidationError("the code snapshot is over 200 MiB")
    code_id = hashlib.sha256(data).hexdigest()
    target = code_dir / code_id
    if target.is_dir():
        return code_id
    code_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=code_dir, prefix=".upload-"))
    try:
        unpack(data, staging)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return code_id


def unpack(data: bytes, target: Path) -> None:
    """Extract a tar.gz safely: absolute paths, ``..`` and links out of ``target`` are refused."""
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            tar.extractall(target, filter="data")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ValidationError(f"not a valid tar.gz: {exc}") from exc


def snapshot(code_dir: Path, code_id: str) -> Path:
    if not _CODE_ID.fullmatch(code_id):
        raise ValidationError(f"{code_id!r} is not a code snapshot id (the SHA-256 the upload returned)")
    folder = code_dir / code_id
    if not folder.is_dir():
        raise NotFoundError(f"code snapshot {code_id} not found; upload it first")
    return folder
