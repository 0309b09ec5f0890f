"""Data assets: versioned names for lake paths, checked when registered and usable as job inputs."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from lakebox import ConflictError, MLClient, NotFoundError, ValidationError, command
from lakebox.entities import AssetTypes, Data, Input
from lakebox.lake import delta
from tests.conftest import RunningWorkspace

FEATURES = "azureml://datastores/workspaceblobstore/paths/assets/features"


@pytest.fixture
def ml_client(shared_workspace: RunningWorkspace) -> Iterator[MLClient]:
    with MLClient(path=shared_workspace.layout.root) as client:
        yield client


def test_versions_and_a_job_reading_an_asset(
    ml_client: MLClient, shared_workspace: RunningWorkspace, tmp_path: Path
) -> None:
    table = shared_workspace.layout.default_datastore_dir / "assets" / "features"
    delta.write_table(table, pa.table({"id": [1, 2]}), mode="overwrite")
    first = ml_client.data.create_or_update(Data(name="features", type=AssetTypes.DELTA_TABLE, path=FEATURES))
    second = ml_client.data.create_or_update(
        Data(name="features", type="delta_table", path=FEATURES, description="same table, second version")
    )
    assert (first.version, second.version, second.id) == ("1", "2", "azureml:features:2")
    assert ml_client.data.get("features", label="latest").version == "2"
    assert [d.version for d in ml_client.data.list("features")] == ["1", "2"]
    with pytest.raises(ConflictError, match="features:1 exists with another spec"):
        ml_client.data.create_or_update(Data(name="features", version="1", type="uri_folder", path=FEATURES))

    (tmp_path / "count.py").write_text("import sys, pandas as pd\nprint('rows', len(pd.read_parquet(sys.argv[1])))\n")
    job = ml_client.jobs.create_or_update(
        command(
            code=tmp_path / "count.py",
            command="python count.py ${{inputs.features}}",
            inputs={"features": Input(type="uri_folder", path="azureml:features:1")},
        )
    )
    out = io.StringIO()
    ml_client.jobs.stream(job.name, out=out)
    assert "rows 2" in out.getvalue()


def test_registration_checks_the_path(ml_client: MLClient, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="does not exist"):
        ml_client.data.create_or_update(Data(name="ghost", path=str(tmp_path / "missing")))
    with pytest.raises(ValidationError, match=r"is a delta_table but .* is not a Delta table"):
        ml_client.data.create_or_update(Data(name="not-delta", type="delta_table", path=str(tmp_path)))
    (tmp_path / "one.csv").write_text("a\n1\n")
    assert ml_client.data.create_or_update(Data(name="one", type="uri_file", path=str(tmp_path / "one.csv"))).version
    with pytest.raises(NotFoundError, match="data asset nope not found"):
        ml_client.data.get("nope")
