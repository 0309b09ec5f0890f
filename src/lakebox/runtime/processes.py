"""Processes that lakebox starts and watches: detached services, their readiness, their end, their logs."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from lakebox.errors import UnavailableError

T = TypeVar("T")
_LOG_TAIL_LINES = 20


def spawn_detached(arguments: list[str], log_file: Path) -> subprocess.Popen[bytes]:
    """Start a lakebox process in its own session (it outlives its parent), output to ``log_file``."""
    with open(log_file, "ab") as log:
        return subprocess.Popen(
            arguments, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            close_fds=True,
        )  # fmt: skip


def wait_until_serving(
    what: str, process: subprocess.Popen[bytes], ready: Callable[[], T | None], timeout: float, log_file: Path
) -> T:
    """Poll ``ready`` until it returns the started process's record; fail with the log's tail if it exits or stalls."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise UnavailableError(
                f"the {what} exited with code {process.returncode} while starting:\n{log_tail(log_file)}"
            )
        if (record := ready()) is not None:
            return record
        time.sleep(0.1)
    process.terminate()
    raise UnavailableError(f"the {what} did not answer within {timeout:.0f}s:\n{log_tail(log_file)}")


def terminate(pid: int, timeout: float, *, group: bool = False) -> None:
    """SIGTERM ``pid``, then SIGKILL it (its whole process group if ``group``) if it is alive after ``timeout``."""
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and (left := deadline - time.monotonic()) > 0:
        wait_for_exit(pid, left)
    if pid_alive(pid):
        if group:
            os.killpg(pid, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)


def pid_alive(pid: int) -> bool:
    """True for a running process; false for none, and for a zombie whose parent has not reaped it."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(pid)


def wait_for_exit(pid: int, timeout: float) -> None:
    """Return once ``pid`` has ended, or after ``timeout`` seconds. Linux tells at once through a pidfd (any
    process, not only a child); elsewhere this sleeps out the timeout."""
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    except (AttributeError, OSError):
        time.sleep(timeout)
        return
    try:
        select.select([pidfd], [], [], timeout)
    finally:
        os.close(pidfd)


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except (OSError, IndexError):
        return False


def log_tail(log_file: Path, lines: int = _LOG_TAIL_LINES) -> str:
    """The last ``lines`` lines of a log file."""
    try:
        text = log_file.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return f"(no log at {log_file})"
    return "\n".join(text[-lines:])
