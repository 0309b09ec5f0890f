"""Every ``LAKEBOX_*`` environment variable, declared once with its type, default and meaning.

No other module reads ``os.environ`` for lakebox settings; they call ``<SETTING>.get()``. A value
that cannot be parsed raises a ``ValidationError`` that names the variable.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from lakebox.errors import ValidationError

T = TypeVar("T")


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One environment variable: ``name``, how to parse it, its default and what it is for."""

    name: str
    parse: Callable[[str], T]
    default: Callable[[], T | None]
    doc: str
    secret: bool = False  # never echo the value in an error

    def get(self) -> T | None:
        raw = os.environ.get(self.name)
        if raw is None or raw == "":
            return self.default()
        try:
            return self.parse(raw)
        except ValueError as exc:
            shown = "<hidden>" if self.secret else repr(raw)
            raise ValidationError(f"{self.name}={shown} is not valid: {exc}") from None

    def get_or_raise(self) -> T:
        value = self.get()
        if value is None:
            raise ValidationError(f"{self.name} is not set")
        return value


def _path(raw: str) -> Path:
    return Path(raw).expanduser()


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("must be a positive integer")
    return value


def _positive_float(raw: str) -> float:
    value = float(raw)
    if value <= 0:
        raise ValueError("must be a positive number")
    return value


def _key32(raw: str) -> bytes:
    try:
        key = base64.b64decode(raw.strip().replace("-", "+").replace("_", "/"), validate=True)
    except binascii.Error as exc:
        raise ValueError("must be base64") from exc
    if len(key) != 32:
        raise ValueError(f"must decode to 32 bytes, not {len(key)} (make one with `lakebox vault new-master-key`)")
    return key


LAKEBOX_HOME: Setting[Path] = Setting(
    "LAKEBOX_HOME",
    _path,
    lambda: Path("~/.lakebox").expanduser(),
    "Folder holding the workspace registry and the default location of new workspaces.",
)
LAKEBOX_TOKEN: Setting[str] = Setting(
    "LAKEBOX_TOKEN",
    str,
    lambda: None,
    "An API token; when set, the SDK, the CLI and DefaultAzureCredential use it before any other.",
)
LAKEBOX_ENDPOINT: Setting[str] = Setting(
    "LAKEBOX_ENDPOINT",
    str,
    lambda: None,
    "URL of a running lakebox server to talk to instead of a local workspace's own.",
)
LAKEBOX_SERVER_START_TIMEOUT: Setting[float] = Setting(
    "LAKEBOX_SERVER_START_TIMEOUT",
    _positive_float,
    lambda: 90.0,
    "Seconds the SDK and CLI wait for a starting server to answer /health.",
)
LAKEBOX_GATEWAY_PORT: Setting[int] = Setting(
    "LAKEBOX_GATEWAY_PORT",
    _positive_int,
    lambda: None,
    "Port of the inference gateway (scoring URIs); by default the port it had before, else a free one.",
)
LAKEBOX_DATABASE_URL: Setting[str] = Setting(
    "LAKEBOX_DATABASE_URL",
    str,
    lambda: None,
    "SQLAlchemy URL of the metadata database for `workspace create` (default: SQLite in the workspace).",
)
LAKEBOX_AUTH_FAILURE_LIMIT: Setting[int] = Setting(
    "LAKEBOX_AUTH_FAILURE_LIMIT",
    _positive_int,
    lambda: 20,
    "Failed authentications one client may make per minute before it gets 429 for the rest of the minute.",
)
LAKEBOX_MASTER_KEY: Setting[bytes] = Setting(
    "LAKEBOX_MASTER_KEY",
    _key32,
    lambda: None,
    "Base64 of the 32-byte key that encrypts vault secrets (default: a 0600 key file in the workspace's .lakebox).",
    secret=True,
)
IDENTITY_ENDPOINT: Setting[str] = Setting(
    "IDENTITY_ENDPOINT",
    str,
    lambda: None,
    "Managed identity token endpoint, set by lakebox for jobs and deployments (as Azure does).",
)
IDENTITY_HEADER: Setting[str] = Setting(
    "IDENTITY_HEADER",
    str,
    lambda: None,
    "Secret header value that authenticates calls to IDENTITY_ENDPOINT.",
)

ALL_SETTINGS: tuple[Setting[Any], ...] = (
    LAKEBOX_HOME,
    LAKEBOX_TOKEN,
    LAKEBOX_ENDPOINT,
    LAKEBOX_SERVER_START_TIMEOUT,
    LAKEBOX_DATABASE_URL,
    LAKEBOX_AUTH_FAILURE_LIMIT,
    LAKEBOX_MASTER_KEY,
    IDENTITY_ENDPOINT,
    IDENTITY_HEADER,
)
