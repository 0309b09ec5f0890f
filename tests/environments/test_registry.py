"""Registered environments: versions, latest, immutability, and jobs that name them."""

from __future__ import annotations

import io

import pytest

from lakebox import ConflictError, JobFailedError, MLClient, NotFoundError, ValidationError, command
from lakebox.entities import Environment
from tests.conftest import RunningWorkspace


@pytest.fixture
def ml_client(shared_workspace: RunningWorkspace) -> MLClient:
    return MLClient(path=shared_workspace.layout.root)


def test_versions_latest_and_immutability(ml_client: MLClient) -> None:
    conda = {"dependencies": ["python=3.11", {"pip": ["six==1.17.0"]}]}
    first = ml_client.environments.create_or_update(Environment(name="reg-env", conda_file=conda, image="img:1"))
    second = ml_client.environments.create_or_update(
        Environment(name="reg-env", conda_file={"dependencies": [{"pip": ["six==1.16.0"]}]})
    )
    assert (first.version, second.version, first.image) == ("1", "2", "img:1")
    assert ml_client.environments.get("reg-env", label="latest").version == "2"
    assert ml_client.environments.resolve("azureml:reg-env:1").conda_file == conda
    assert ml_client.environments.create_or_update(first).version == "1"  # same spec: no new version
    with pytest.raises(ConflictError, match="reg-env:1 exists with another spec"):
        ml_client.environments.create_or_update(first.model_copy(update={"image": "img:2"}))
    with pytest.raises(NotFoundError, match="environment reg-env:9 not found"):
        ml_client.environments.get("reg-env", "9")
    with pytest.raises(ValidationError, match=r"no known PyPI equivalent.*cudatoolkit"):
        ml_client.environments.create_or_update(Environment(name="gpu", conda_file={"dependencies": ["cudatoolkit"]}))
    assert {e.version for e in ml_client.environments.list("reg-env")} == {"1", "2"}


def test_job_on_a_registered_environment(ml_client: MLClient) -> None:
    ml_client.environments.create_or_update(Environment(name="six-env", version="7", pip_requirements=["six==1.17.0"]))
    job = ml_client.jobs.create_or_update(
        command(command="python -c 'import six; print(six.__version__)'", environment="six-env@latest")
    )
    out = io.StringIO()
    assert ml_client.jobs.stream(job.name, out=out).environment == "six-env:7"
    assert "1.17.0" in out.getvalue()


def test_failed_build_fails_the_job_with_the_resolver_message(ml_client: MLClient) -> None:
    job = ml_client.jobs.create_or_update(
        command(command="echo never", environment=Environment(pip_requirements=["lakebox-missing-pkg-9z==1.0"]))
    )
    with pytest.raises(JobFailedError, match=r"(?s)environment build failed.*lakebox-missing-pkg-9z was not found"):
        ml_client.jobs.stream(job.name, out=io.StringIO())
