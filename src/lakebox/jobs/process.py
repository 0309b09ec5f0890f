"""Starting a job's command as its own process group, which outlives a server restart.

The command runs under ``bash -c`` inside a wrapper that writes its exit status to a file, so a
restarted server can re-attach to a job it did not start and still learn how it ended. The
compute's size sets CPU affinity and the thread counts of the common numeric libraries; the runner
watches the resident memory of the process tree against the size's memory (:func:`tree_memory`). When the
workspace holds secrets, the output passes through ``lakebox.vault.redaction`` first.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import IO

from lakebox.compute.sizes import VmSize

_WRAPPER = 'bash -c "$0"; echo $? > "$1"'
# The same, with output masked by lakebox.vault.redaction, which reads the values from fd $3 (closed for the command).
_REDACTING_WRAPPER = (
    'fd=$3; bash -c "$0" {fd}<&- 2>&1 | "$2" -m lakebox.vault.redaction "$3"; echo "${PIPESTATUS[0]}" > "$1"'
)
# Server-side settings that must not leak into user code.
_PRIVATE_PREFIXES = ("LAKEBOX_", "MLFLOW_", "_MLFLOW", "IDENTITY_")
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def job_environment(user: dict[str, str], lakebox: dict[str, str], python: Path, size: VmSize) -> dict[str, str]:
    """The process environment: the server's minus its private settings, the user's, then lakebox's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_PRIVATE_PREFIXES)}
    env.update(user)
    cores = str(min(size.cores, os.cpu_count() or 1))
    env.update({name: env.get(name, cores) for name in _THREAD_VARIABLES})
    env.update(lakebox)
    env["PATH"] = f"{python.parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def start(
    command: str, cwd: Path, env: dict[str, str], log: Path, exit_file: Path, size: VmSize, masked: list[str]
) -> int:
    """Start ``command`` with its output masked of ``masked`` values; returns its process group's id."""
    with open(log, "ab") as out:
        if not masked:
            process = _popen(["bash", "-c", _WRAPPER, command, str(exit_file)], cwd, env, out)
        else:
            read_end, write_end = os.pipe()
            try:
                arguments = [command, str(exit_file), sys.executable, str(read_end)]
                process = _popen(["bash", "-c", _REDACTING_WRAPPER, *arguments], cwd, env, out, pass_fds=(read_end,))
            finally:
                os.close(read_end)
            with os.fdopen(write_end, "w") as values:
                values.write(json.dumps(masked))
    # Set from the parent: preexec_fn is unsafe in a threaded server. Children inherit the affinity.
    os.sched_setaffinity(process.pid, sorted(os.sched_getaffinity(0))[: size.cores])
    return process.pid


def _popen(
    arguments: list[str], cwd: Path, env: dict[str, str], out: IO[bytes], pass_fds: tuple[int, ...] = ()
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        arguments,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        pass_fds=pass_fds,
    )


def exit_status(exit_file: Path) -> int | None:
    try:
        return int(exit_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def tree_memory(pid: int) -> int:
    """Bytes of resident memory of a process and all its descendants (0 once it is gone)."""
    import psutil

    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for item in processes:
        try:
            total += item.memory_info().rss
        except psutil.Error:
            continue  # ended meanwhile
    return total


def describe_exit(code: int) -> str:
    if code > 128:
        return f"the command was killed by signal {code - 128}"
    return f"the command exited with code {code}"
