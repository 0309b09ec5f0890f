"""Files written whole or privately, and locks held for a process's life."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from lakebox.errors import ConflictError


def write_private(path: Path, content: str | bytes) -> None:
    """Write a file that only its owner may read (mode 0600 from the first byte)."""
    data = content.encode() if isinstance(content, str) else content
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.chmod(path, 0o600)


def write_atomic(path: Path, content: str) -> None:
    """Replace ``path`` in one step, so a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(content)
    os.replace(tmp, path)


@contextmanager
def exclusive_lock(lock_file: Path, wait: bool = True, held: str = "the lock is held") -> Iterator[IO[str]]:
    """Hold an exclusive lock on ``lock_file`` (the OS drops it when the process dies, even by SIGKILL).

    Without ``wait``, a lock that another process holds is a :class:`ConflictError` saying ``held``.
    """
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise ConflictError(held) from exc
        yield handle
