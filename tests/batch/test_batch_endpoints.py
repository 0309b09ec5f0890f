"""Batch endpoints against a real server and job runner: every input kind, both scoring contracts,
retries, timeouts, the error threshold, and bad invocations."""

from __future__ import annotations

import io
import json
import textwrap
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable, write_deltalake
from sklearn.linear_model import LinearRegression

from lakebox import BadRequestError, ConflictError, Input, MLClient, NotFoundError
from lakebox.entities import CodeConfiguration, Environment, Model, SparkPool
from lakebox.entities.batch import BatchDeployment, BatchEndpoint, BatchRetrySettings, ModelBatchDeployment
from lakebox.errors import JobFailedError
from tests.conftest import SKLEARN


@pytest.fixture(scope="module")
def endpoint(client: MLClient, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An endpoint whose default deployment is a no-code MLflow model predicting a + 2b (no signature)."""
    frame = pd.DataFrame({"a": np.arange(50.0), "b": np.arange(50.0) % 7})
    folder = tmp_path_factory.mktemp("batch-model") / "model"
    mlflow.sklearn.save_model(LinearRegression().fit(frame, frame.a + 2 * frame.b), folder, pip_requirements=SKLEARN)
    model = client.models.create_or_update(Model(path=str(folder), name="batch-exact", type="mlflow_model"))
    client.batch_endpoints.begin_create_or_update(BatchEndpoint(name="scorer", description="exact")).result()
    deployment = ModelBatchDeployment(name="mlflow", endpoint_name="scorer", model=model.id, mini_batch_size=2)
    client.batch_deployments.begin_create_or_update(deployment).result()
    return "scorer"


def _frame(start: int, rows: int) -> pd.DataFrame:
    return pd.DataFrame({"id": np.arange(start, start + rows), "a": np.arange(start, start + rows) * 1.0,
                         "b": np.arange(start, start + rows) % 5 * 1.0})  # fmt: skip


def _run(client: MLClient, job_name: str, tmp_path: Path, output: str = "score") -> Path:
    client.jobs.stream(job_name, out=io.StringIO())
    client.jobs.download(job_name, tmp_path, output_name=output)
    return tmp_path / "named-outputs" / output


def test_defaults_are_azure_mls() -> None:
    settings = BatchDeployment(name="d", endpoint_name="e").settings
    assert (settings.mini_batch_size, settings.max_concurrency_per_instance, settings.instance_count) == (10, 1, 1)
    assert (settings.error_threshold, settings.output_action, settings.output_file_name) == (
        -1,
        "append_row",
        "predictions.csv",
    )
    assert (settings.retry_settings.max_retries, settings.retry_settings.timeout) == (3, 30)


def test_a_folder_of_csv_and_parquet_files_is_scored_row_by_row_and_traceable(
    client: MLClient, endpoint: str, tmp_path: Path
) -> None:
    data = tmp_path / "in"
    data.mkdir()
    _frame(0, 7).to_csv(data / "one.csv", index=False)
    _frame(7, 5).to_csv(data / "two.csv", index=False)
    pq.write_table(
        pa.Table.from_pandas(_frame(12, 600_000), preserve_index=False), data / "big.parquet", row_group_size=100_000
    )
    job = client.batch_endpoints.invoke(endpoint, input=Input(type="uri_folder", path=str(data)),
                                        params_override=[{"max_concurrency_per_instance": 2}])  # fmt: skip
    assert job.tags["batch_deployment"] == "mlflow"
    out = _run(client, job.name, tmp_path / "dl")
    predictions = pd.read_csv(out / "predictions.csv")
    assert len(predictions) == 600_012  # one row per input row
    assert sorted(predictions.id) == list(range(600_012))
    np.testing.assert_allclose(predictions.prediction, predictions.a + 2 * predictions.b, atol=1e-6)
    first = predictions.set_index(["source_file", "source_row"])
    assert first.loc[("two.csv", 0), "id"] == 7 and first.loc[("big.parquet", 250_000), "id"] == 250_012
    assert client.jobs.get(job.name).status == "Completed"


def test_a_delta_table_is_scored_at_its_current_version_into_a_delta_table(
    client: MLClient, endpoint: str, tmp_path: Path
) -> None:
    table = tmp_path / "customers"
    write_deltalake(str(table), pa.Table.from_pandas(_frame(0, 10), preserve_index=False))
    write_deltalake(str(table), pa.Table.from_pandas(_frame(100, 10), preserve_index=False), mode="overwrite")
    overrides = {"output_format": "delta", "output_file_name": "scored"}
    job = client.batch_endpoints.invoke(endpoint, input=Input(path=str(table)), params_override=overrides)
    out = _run(client, job.name, tmp_path / "dl")
    scored = DeltaTable(str(out / "scored")).to_pandas()
    assert sorted(scored.id) == list(range(100, 110))  # the overwritten version's rows are never read
    np.testing.assert_allclose(scored.prediction, scored.a + 2 * scored.b, atol=1e-6)


def test_a_warehouse_table_is_scored(client: MLClient, endpoint: str, tmp_path: Path) -> None:
    client.warehouse.load("dbo.BatchInput", _frame(0, 25), mode="overwrite")
    job = client.batch_endpoints.invoke(endpoint, input=Input(type="uri_file", path="warehouse:dbo.BatchInput"))
    predictions = pd.read_csv(_run(client, job.name, tmp_path) / "predictions.csv")
    assert sorted(predictions.id) == list(range(25))
    assert set(predictions.source_file) == {"dbo.BatchInput.parquet"}


SCORE_PY = """
import os, time
import pandas as pd

def init():
    global model_dir
    model_dir = os.environ["AZUREML_MODEL_DIR"]

def run(mini_batch):
    results = []
    for path in mini_batch:
        name = os.path.basename(path)
        if name.startswith("bad"):
            raise ValueError(f"cannot read {name}")
        if name.startswith("slow"):
            time.sleep(30)
        results.append(f"{name}: {len(pd.read_csv(path))} rows, model in {os.path.isdir(model_dir)}")
    return results
"""


@pytest.fixture(scope="module")
def script_endpoint(client: MLClient, endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    code = tmp_path_factory.mktemp("batch-code")
    (code / "batch_score.py").write_text(textwrap.dedent(SCORE_PY))
    model = client.models.get("batch-exact", "1")
    client.batch_endpoints.begin_create_or_update(BatchEndpoint(name="files")).result()
    deployment = BatchDeployment(
        name="script", endpoint_name="files", model=model.id, mini_batch_size=1,
        code_configuration=CodeConfiguration(code=str(code), scoring_script="batch_score.py"),
        retry_settings=BatchRetrySettings(max_retries=1, timeout=2),
    )  # fmt: skip
    client.batch_deployments.begin_create_or_update(deployment).result()
    return "files"


def _files(folder: Path, names: list[str]) -> Path:
    folder.mkdir(parents=True)
    for index, name in enumerate(names):
        _frame(0, index + 1).to_csv(folder / name, index=False)
    return folder


def test_a_score_py_gets_file_paths_and_returns_one_item_per_file(
    client: MLClient, script_endpoint: str, tmp_path: Path
) -> None:
    data = _files(tmp_path / "in", ["a.csv", "b.csv", "c.csv"])
    job = client.batch_endpoints.invoke(script_endpoint, input=Input(path=str(data)))
    lines = (_run(client, job.name, tmp_path / "dl") / "predictions.csv").read_text().splitlines()
    assert sorted(lines) == [
        "a.csv: 1 rows, model in True",
        "b.csv: 2 rows, model in True",
        "c.csv: 3 rows, model in True",
    ]


def test_a_failing_input_is_retried_then_reported_by_name_without_failing_the_job_by_default(
    client: MLClient, script_endpoint: str, tmp_path: Path
) -> None:
    data = _files(tmp_path / "in", ["a.csv", "bad.csv"])
    job = client.batch_endpoints.invoke(script_endpoint, input=Input(path=str(data)))
    client.jobs.stream(job.name, out=io.StringIO())
    client.jobs.download(job.name, tmp_path / "dl")
    summary = json.loads((tmp_path / "dl" / "artifacts" / "user_logs" / "summary.json").read_text())
    assert (summary["succeeded"], summary["failed"], summary["failed_inputs"]) == (1, 1, 1)
    assert summary["failures"][0]["inputs"] == ["bad.csv"]
    assert summary["failures"][0]["errors"] == ["ValueError: cannot read bad.csv"] * 2  # tried, then retried once


def test_past_the_error_threshold_the_job_fails_saying_which_input_and_why(
    client: MLClient, script_endpoint: str, tmp_path: Path
) -> None:
    data = _files(tmp_path / "in", ["a.csv", "bad.csv", "slow.csv"])
    job = client.batch_endpoints.invoke(script_endpoint, input=Input(path=str(data)),
                                        params_override={"error_threshold": 1})  # fmt: skip
    with pytest.raises(JobFailedError):
        client.jobs.stream(job.name, out=io.StringIO())
    error = client.jobs.get(job.name).error or ""
    assert "2 inputs failed, more than error_threshold 1" in error
    assert "bad.csv): ValueError: cannot read bad.csv" in error
    assert "slow.csv): timed out after 2 s" in error
    assert "exited with code" not in error


def test_a_job_that_scores_nothing_fails(client: MLClient, endpoint: str, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    job = client.batch_endpoints.invoke(endpoint, input=Input(path=str(tmp_path / "empty")))
    with pytest.raises(JobFailedError):
        client.jobs.stream(job.name, out=io.StringIO())
    assert "no input was scored" in (client.jobs.get(job.name).error or "")


def test_a_missing_column_fails_the_mini_batch_naming_it(client: MLClient, endpoint: str, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    pd.DataFrame({"a": [1.0]}).to_csv(tmp_path / "in" / "x.csv", index=False)
    job = client.batch_endpoints.invoke(endpoint, input=Input(path=str(tmp_path / "in")),
                                        params_override={"retry_settings.max_retries": 0})  # fmt: skip
    with pytest.raises(JobFailedError):
        client.jobs.stream(job.name, out=io.StringIO())
    assert "x.csv): ValueError: the input has no column 'b'" in (client.jobs.get(job.name).error or "")


def test_bad_invocations_are_refused_before_anything_runs(
    client: MLClient, endpoint: str, script_endpoint: str, tmp_path: Path
) -> None:
    before = len(client.jobs.list())
    with pytest.raises(NotFoundError, match="batch deployment"):
        client.batch_endpoints.invoke(endpoint, input=Input(path=str(tmp_path)), deployment_name="nope")
    with pytest.raises(NotFoundError, match="does not exist"):
        client.batch_endpoints.invoke(endpoint, input=Input(path=str(tmp_path / "missing")))
    with pytest.raises(BadRequestError, match="'chunk_size' is not a batch deployment setting"):
        client.batch_endpoints.invoke(endpoint, input=Input(path=str(tmp_path)), params_override={"chunk_size": 3})
    with pytest.raises(BadRequestError, match="mini_batch_size"):
        client.batch_endpoints.invoke(endpoint, input=Input(path=str(tmp_path)), params_override={"mini_batch_size": 0})
    client.batch_endpoints.begin_create_or_update(BatchEndpoint(name="bare")).result()
    with pytest.raises(BadRequestError, match="no deployment"):
        client.batch_endpoints.invoke("bare", input=Input(path=str(tmp_path)))
    with pytest.raises(NotFoundError):
        client.batch_deployments.begin_create_or_update(
            BatchDeployment(name="d", endpoint_name="bare", model="azureml:no-such-model:1"))  # fmt: skip
    assert len(client.jobs.list()) == before


def test_the_first_deployment_is_the_default_and_cannot_be_deleted_while_others_remain(
    client: MLClient, endpoint: str
) -> None:
    assert client.batch_endpoints.get(endpoint).defaults == {"deployment_name": "mlflow"}
    model = client.models.get("batch-exact", "1")
    client.batch_deployments.begin_create_or_update(
        BatchDeployment(name="second", endpoint_name=endpoint, model=model.id)).result()  # fmt: skip
    assert {d.name for d in client.batch_deployments.list(endpoint)} == {"mlflow", "second"}
    with pytest.raises(ConflictError, match="default"):
        client.batch_deployments.begin_delete("mlflow", endpoint)
    client.batch_deployments.begin_delete("second", endpoint).result()
    assert [d.name for d in client.batch_deployments.list(endpoint)] == ["mlflow"]
    assert client.batch_endpoints.get(endpoint).scoring_uri.endswith(f"/batchEndpoints/{endpoint}/invoke")


@pytest.mark.slow
def test_a_deployment_on_a_spark_pool_scores_with_spark(client: MLClient, endpoint: str, tmp_path: Path) -> None:
    client.spark_pools.create_or_update(SparkPool(name="scoring-pool", node_count=2))
    model = client.models.get("batch-exact", "1")
    client.batch_endpoints.begin_create_or_update(BatchEndpoint(name="on-spark")).result()
    with pytest.raises(BadRequestError, match="is a Spark pool"):
        client.batch_deployments.begin_create_or_update(
            BatchDeployment(
                name="bad",
                endpoint_name="on-spark",
                model=model.id,
                compute="scoring-pool",
                environment=Environment(name="custom", conda_file={"dependencies": ["python=3.11"]}),
            )
        )
    client.batch_deployments.begin_create_or_update(
        BatchDeployment(name="spark", endpoint_name="on-spark", model=model.id, compute="scoring-pool")
    ).result()
    data = tmp_path / "in"
    data.mkdir()
    _frame(0, 30).to_csv(data / "a.csv", index=False)
    pq.write_table(pa.Table.from_pandas(_frame(30, 70), preserve_index=False), data / "b.parquet", row_group_size=20)
    job = client.batch_endpoints.invoke("on-spark", input=Input(path=str(data)))
    log = io.StringIO()
    client.jobs.stream(job.name, out=log)
    predictions = pd.read_csv(_run(client, job.name, tmp_path / "dl") / "predictions.csv")
    assert sorted(predictions.id) == list(range(100))
    np.testing.assert_allclose(predictions.prediction, predictions.a + 2 * predictions.b, atol=1e-6)
    by_source = predictions.set_index(["source_file", "source_row"]).id
    assert by_source[("a.csv", 29)] == 29 and by_source[("b.parquet", 0)] == 30 and by_source[("b.parquet", 69)] == 99
    assert "local[2]" in log.getvalue() or "lakebox batch (Spark)" in log.getvalue()
