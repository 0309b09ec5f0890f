"""What an environment needs: a Python version and pip requirements, resolved from a conda file.

conda files name conda packages; lakebox builds with pip packages (through uv). The pip section is
taken as it is. Conda entries are mapped for the packages that have the same name and meaning on
PyPI (below); anything else is refused with its name, since guessing could install the wrong thing.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from typing import Any

from pydantic import BaseModel, Field

from lakebox.entities.environment import Environment
from lakebox.errors import ValidationError

# conda name -> PyPI name, for packages that are the same project on both.
CONDA_TO_PIP = {
    name: name
    for name in (
        "numpy",
        "pandas",
        "scipy",
        "scikit-learn",
        "matplotlib",
        "pyarrow",
        "mlflow",
        "requests",
        "pyyaml",
        "joblib",
        "lightgbm",
        "xgboost",
        "seaborn",
        "statsmodels",
        "pillow",
        "tqdm",
        "fsspec",
    )
} | {"py-xgboost": "xgboost", "mlflow-skinny": "mlflow-skinny"}
_IGNORED = {"pip", "setuptools", "wheel"}
_CONDA_SPEC = re.compile(r"^(?P<name>[A-Za-z0-9_.\-]+)\s*(?P<op>[=<>!~]*)\s*(?P<version>[^\s=]*)(=.*)?$")
CURATED_DEFAULT = "lakebox-default"
RUNTIME_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


class EnvironmentSpec(BaseModel):
    """A resolved environment: the Python version and the pip requirements, in order."""

    python: str = RUNTIME_PYTHON
    pip: list[str] = Field(default_factory=list)

    def digest(self) -> str:
        canonical = json.dumps({"python": self.python, "pip": sorted(self.pip)}, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def from_conda(conda: dict[str, Any]) -> EnvironmentSpec:
    """Resolve a parsed conda environment file; errors name every entry that cannot be honoured."""
    python = RUNTIME_PYTHON
    pip: list[str] = []
    unknown: list[str] = []
    for entry in conda.get("dependencies") or []:
        if isinstance(entry, dict) and "pip" in entry:
            pip.extend(str(requirement).strip() for requirement in entry["pip"] or [])
            continue
        match = _CONDA_SPEC.match(str(entry).strip())
        if match is None:
            unknown.append(str(entry))
            continue
        name, op, version = match["name"].lower(), match["op"], match["version"]
        if name == "python":
            python = version or RUNTIME_PYTHON
        elif name in _IGNORED:
            continue
        elif name in CONDA_TO_PIP:
            pip.append(CONDA_TO_PIP[name] + _pip_version(op, version))
        else:
            unknown.append(str(entry))
    if unknown:
        raise ValidationError(
            "these conda packages have no known PyPI equivalent; list them under `pip:` instead: " + ", ".join(unknown),
            details={"packages": unknown},
        )
    if not _same_minor(python, RUNTIME_PYTHON):
        raise ValidationError(
            f"the environment asks for python={python}, but this machine runs jobs with Python {RUNTIME_PYTHON}"
        )
    return EnvironmentSpec(python=RUNTIME_PYTHON, pip=pip)


def resolve_environment(environment: Environment | None) -> tuple[str, EnvironmentSpec]:
    """A label for an inline environment (``None``: the curated default) and what it contains."""
    if environment is None:
        return CURATED_DEFAULT, EnvironmentSpec()
    if environment.conda_file is not None:
        resolved = from_conda(environment.conda_file)
    else:
        resolved = EnvironmentSpec(pip=list(environment.pip_requirements or []))
    label = environment.name or "anonymous"
    return f"{label}:{environment.version or resolved.digest()[:8]}", resolved


def from_requirements(text: str) -> EnvironmentSpec:
    lines = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    return EnvironmentSpec(pip=[line for line in lines if line])


def _pip_version(op: str, version: str) -> str:
    if not version:
        return ""
    if op in ("", "="):  # conda's "=1.26" means any 1.26.x
        return f"=={version}" if version.count(".") >= 2 else f"=={version}.*"
    return f"{op}{version}"


def _same_minor(asked: str, running: str) -> bool:
    return asked.split(".")[:2] == running.split(".")[:2] or asked in ("3", "")
