"""The registry of known workspaces: (subscription, group, name) -> folder, in ``$LAKEBOX_HOME``."""

from __future__ import annotations

import fcntl
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import BaseModel

from lakebox import settings
from lakebox.runtime.files import write_atomic


class RegistryEntry(BaseModel):
    subscription_id: str
    resource_group: str
    workspace_name: str
    path: Path

    def key(self) -> tuple[str, str, str]:
        return (self.subscription_id.lower(), self.resource_group.lower(), self.workspace_name.lower())


class WorkspaceRegistry:
    def __init__(self, home: Path | None = None) -> None:
        self.home = home or settings.LAKEBOX_HOME.get_or_raise()
        self.file = self.home / "workspaces.json"

    def entries(self) -> list[RegistryEntry]:
        if not self.file.exists():
            return []
        return [RegistryEntry.model_validate(item) for item in json.loads(self.file.read_text())]

    def add(self, entry: RegistryEntry) -> None:
        with self._locked():
            entries = [e for e in self.entries() if e.key() != entry.key()]
            self._write([*entries, entry])

    def remove(self, entry: RegistryEntry) -> None:
        with self._locked():
            self._write([e for e in self.entries() if e.key() != entry.key()])

    def _write(self, entries: list[RegistryEntry]) -> None:
        write_atomic(self.file, json.dumps([e.model_dump(mode="json") for e in entries], indent=2) + "\n")

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.home.mkdir(parents=True, exist_ok=True)
        with open(self.home / ".workspaces.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield
