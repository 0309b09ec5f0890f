"""Tokens stored by ``lakebox login``: ``$LAKEBOX_HOME/credentials.json`` (mode 0600), one per workspace."""

from __future__ import annotations

import json
from pathlib import Path

from lakebox import settings
from lakebox.runtime.files import write_private


def _file() -> Path:
    return settings.LAKEBOX_HOME.get_or_raise() / "credentials.json"


def _key(resource_id: str) -> str:
    return resource_id.removesuffix("/.default").rstrip("/").lower()


def _read() -> dict[str, str]:
    try:
        data = json.loads(_file().read_text())
    except FileNotFoundError:
        return {}
    return {str(k): str(v) for k, v in data.items()}


def saved_token(resource_id: str) -> str | None:
    """The token saved for a workspace (given by resource id, with or without ``/.default``)."""
    return _read().get(_key(resource_id))


def save_token(resource_id: str, token: str) -> Path:
    logins = _read() | {_key(resource_id): token}
    _file().parent.mkdir(parents=True, exist_ok=True)
    write_private(_file(), json.dumps(logins, indent=2) + "\n")
    return _file()


def forget_token(resource_id: str) -> bool:
    logins = _read()
    if logins.pop(_key(resource_id), None) is None:
        return False
    write_private(_file(), json.dumps(logins, indent=2) + "\n")
    return True
