"""Listening sockets for lakebox's services."""

from __future__ import annotations

import contextlib
import socket
from pathlib import Path

from lakebox.errors import ConflictError

DEFAULT_HOST = "127.0.0.1"


def bind_preferred(host: str, port: int, last_port_file: Path) -> socket.socket:
    """``port`` when it is not 0 (a failure is an error); else the port this service had last time, so
    its URLs (scoring URIs, a worker's identity endpoint) survive a restart; else any free one."""
    if port:
        return bind_socket(host, port)
    try:
        last = int(last_port_file.read_text())
    except (FileNotFoundError, ValueError):
        last = 0
    sock = None
    if last:
        with contextlib.suppress(ConflictError):
            sock = bind_socket(host, last)
    sock = sock or bind_socket(host, 0)
    last_port_file.write_text(f"{sock.getsockname()[1]}\n")
    return sock


def bind_socket(host: str, port: int) -> socket.socket:
    """A TCP socket listening on ``host:port`` (0: any free port), inheritable by a worker process."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say TCP: asyncio sets TCP_NODELAY on accepted connections only then, and without it
    # Nagle's algorithm and delayed ACKs add ~40 ms to every response.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConflictError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def local_address(host: str) -> str:
    """How a client on this machine reaches a server bound to ``host`` (wildcards mean loopback)."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host
