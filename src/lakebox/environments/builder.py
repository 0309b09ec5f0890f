"""Building environments into a shared cache, once per spec, with uv.

``$LAKEBOX_HOME/environments/<digest>/`` holds a virtual environment (seeded from this machine's
Python) and ``build.log``; a ``.ready`` marker is written only after a complete build, so a build
that failed or was interrupted is started again from scratch. Builds of one spec are serialised by
a file lock; reusing a built one costs a file check.
"""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from lakebox import settings
from lakebox.environments.spec import EnvironmentSpec
from lakebox.errors import ValidationError

_READY = ".ready"


def environments_root() -> Path:
    return settings.LAKEBOX_HOME.get_or_raise() / "environments"


def curated_python() -> Path:
    """The curated default environment (mlflow, scikit-learn, pandas, pyarrow): lakebox's own interpreter."""
    return Path(sys.executable)


def ensure_built(spec: EnvironmentSpec, log: Callable[[str], object] = lambda _: None) -> Path:
    """The Python interpreter of ``spec``'s environment, built first if needed."""
    if not spec.pip:
        return curated_python()
    folder = environments_root() / spec.digest()
    python = folder / "bin" / "python"
    if (folder / _READY).exists():
        return python
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f".{spec.digest()}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (folder / _READY).exists():
            return python
        shutil.rmtree(folder, ignore_errors=True)
        log(f"Building environment {spec.digest()} with: {' '.join(spec.pip)}\n")
        _run([_uv(), "venv", "--quiet", "--python", sys.executable, str(folder)], log)
        _run([_uv(), "pip", "install", "--no-progress", "--python", str(python), *spec.pip], log)
        (folder / _READY).write_text(spec.model_dump_json())
    return python


def _uv() -> str:
    found = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if found is None:
        raise ValidationError("uv is needed to build environments and was not found next to Python or on PATH")
    return found


def _run(command: list[str], log: Callable[[str], object]) -> None:
    output = []
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as process:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            log(line)
    if process.returncode != 0:
        tail = "".join(output[-20:]).strip()
        raise ValidationError(f"environment build failed ({' '.join(command[:3])}): {tail}")
