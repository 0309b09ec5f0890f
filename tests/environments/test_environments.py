"""Environment specs from conda files, and real builds with uv into the shared cache."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
import yaml

from lakebox.environments.builder import curated_python, ensure_built, environments_root
from lakebox.environments.spec import RUNTIME_PYTHON, EnvironmentSpec, from_conda, from_requirements
from lakebox.errors import ValidationError

SEED_LIKE_CONDA = """
name: sklearn-env
channels: [conda-forge]
dependencies:
  - python=3.11
  - pip
  - numpy=1.26
  - scikit-learn>=1.3
  - pip:
      - mlflow==3.13.0
      - pyarrow
"""


def test_conda_file_resolves_to_pip_requirements() -> None:
    spec = from_conda(yaml.safe_load(SEED_LIKE_CONDA))
    assert spec.python == RUNTIME_PYTHON
    assert spec.pip == ["numpy==1.26.*", "scikit-learn>=1.3", "mlflow==3.13.0", "pyarrow"]
    assert spec.digest() == EnvironmentSpec(pip=list(reversed(spec.pip))).digest()


def test_conda_only_packages_are_named() -> None:
    conda = {"dependencies": ["python=3.11", "cudatoolkit=11.8", "mkl", {"pip": ["requests"]}]}
    with pytest.raises(ValidationError, match=r"no known PyPI equivalent.*: cudatoolkit=11.8, mkl"):
        from_conda(conda)


def test_other_python_versions_are_refused_clearly() -> None:
    with pytest.raises(ValidationError, match=f"python=3.8, but this machine runs jobs with Python {RUNTIME_PYTHON}"):
        from_conda({"dependencies": ["python=3.8"]})


def test_requirements_file() -> None:
    assert from_requirements("# comment\nsix==1.17.0  # pinned\n\nidna\n").pip == ["six==1.17.0", "idna"]


def test_no_requirements_means_the_curated_environment(home: Path) -> None:
    python = ensure_built(EnvironmentSpec())
    assert python == curated_python()
    imported = subprocess.run(
        [str(python), "-c", "import mlflow, sklearn, pandas, pyarrow; print('ok')"], capture_output=True, text=True
    )
    assert imported.stdout.strip() == "ok"


def test_build_once_then_reuse(home: Path) -> None:
    spec = EnvironmentSpec(pip=["six==1.17.0"])
    lines: list[str] = []
    python = ensure_built(spec, lines.append)
    assert python.parent.parent == environments_root() / spec.digest()
    assert any("Building environment" in line for line in lines)
    check = subprocess.run([str(python), "-c", "import six; print(six.__version__)"], capture_output=True, text=True)
    assert check.stdout.strip() == "1.17.0"
    started = time.perf_counter()
    assert ensure_built(spec) == python
    assert time.perf_counter() - started < 0.2


def test_failed_build_names_the_problem_and_is_not_reused(home: Path) -> None:
    spec = EnvironmentSpec(pip=["lakebox-no-such-package-0a1b2c==9.9"])
    with pytest.raises(ValidationError, match="lakebox-no-such-package-0a1b2c"):
        ensure_built(spec)
    assert not (environments_root() / spec.digest() / ".ready").exists()
