"""One real Spark session (local mode) for the module's tests, on the shared workspace."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pyspark.sql
import pytest

from lakebox import MLClient
from lakebox.entities import AzureDataLakeGen2Datastore
from lakebox.spark import get_session
from tests.conftest import RunningWorkspace


@pytest.fixture(scope="session")
def lake_client(shared_workspace: RunningWorkspace) -> Iterator[MLClient]:
    """A client of the shared workspace with the seed's data lake container registered."""
    with MLClient(path=shared_workspace.layout.root) as client:
        folder = shared_workspace.layout.root / "datalake"
        client.datastores.create_or_update(
            AzureDataLakeGen2Datastore(name="datalake", account_name="datalake", filesystem="ml-data", path=str(folder))
        )
        yield client


@pytest.fixture(scope="package")
def spark(lake_client: MLClient) -> Iterator[pyspark.sql.SparkSession]:
    """The session, stopped after this package; the variables get_session exports for Spark's
    workers (LAKEBOX_ENDPOINT among them) are taken back so later tests' subprocesses do not inherit them."""
    before = dict(os.environ)
    session = get_session("lakebox-tests", ml_client=lake_client)
    yield session
    session.stop()
    os.environ.clear()
    os.environ.update(before)
