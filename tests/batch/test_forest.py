"""Compiled tree ensembles: exactly scikit-learn's answers, on every model kind compiled, on values that
sit on the thresholds and on missing values; saved and loaded without pickle; and used by batch jobs."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeRegressor

from lakebox import Input, MLClient
from lakebox.batch import driver
from lakebox.batch.forest import CompiledForest, compile_forest
from lakebox.entities import Model
from lakebox.entities.batch import BatchEndpoint, ModelBatchDeployment
from tests.conftest import SKLEARN

COLUMNS = ["Age", "Income", "CreditScore", "AccountBalance"]


def _customers(rows: int, seed: int, missing: bool = True) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "Age": rng.integers(18, 80, rows),  # integers, converted as scikit-learn converts them
            "Income": rng.normal(60_000, 20_000, rows),
            "CreditScore": rng.integers(300, 850, rows).astype(float),
            "AccountBalance": rng.normal(10_000, 5_000, rows).astype(np.float32),
        }
    )
    if missing:
        frame.loc[rng.random(rows) < 0.05, "Income"] = np.nan
    label = np.where((frame.Age < 30) ^ (frame.CreditScore > 600) ^ (rng.random(rows) < 0.2), "churn", "stay")
    return frame, pd.Series(label)


def _on_the_thresholds(forest: CompiledForest, frame: pd.DataFrame) -> pd.DataFrame:
    """Rows whose values are the model's own split points, as float32 rounds them."""
    rows = frame.sample(2_000, random_state=1, replace=True).reset_index(drop=True).astype(np.float64)
    for position, name in enumerate(forest.features):
        used = forest.threshold[(forest.feature == position) & np.isfinite(forest.threshold)]
        if len(used):
            rows[name] = np.random.default_rng(position).choice(used, len(rows)).astype(np.float64)
    return rows


MODELS: dict[str, Any] = {
    "random forest, string classes": lambda x, y: RandomForestClassifier(30, max_depth=8, random_state=0).fit(x, y),
    "extra trees": lambda x, y: ExtraTreesClassifier(20, max_depth=12, random_state=0).fit(x.fillna(0), y),
    "random forest regressor": lambda x, y: RandomForestRegressor(20, max_depth=9, random_state=0).fit(x, x.Age * 3),
    "one deep regression tree": lambda x, y: DecisionTreeRegressor(random_state=0).fit(x, x.Age + x.CreditScore),
    "a tree that is one leaf": lambda x, y: DecisionTreeRegressor().fit(x, np.full(len(x), 2.5)),
}


@pytest.mark.parametrize("kind", MODELS)
def test_a_compiled_forest_predicts_exactly_what_scikit_learn_predicts(kind: str) -> None:
    train, label = _customers(5_000, seed=0)
    model = MODELS[kind](train, label)
    forest, reason = compile_forest(model)
    assert forest is not None, reason
    assert "checked against scikit-learn" in reason
    unseen, _ = _customers(20_000, seed=1)
    for frame in (unseen, _on_the_thresholds(forest, unseen)):
        expected = model.predict(frame if forest.allows_nan else frame.fillna(0))
        got = forest.predict((frame if forest.allows_nan else frame.fillna(0))[COLUMNS].to_numpy(np.float64))
        assert got.dtype == expected.dtype
        assert np.array_equal(got, expected)  # equal, not close


@pytest.mark.parametrize("value", [np.inf, -np.inf, 1e39])  # 1e39: past float32's range, which scikit-learn uses
def test_a_compiled_forest_refuses_infinity_as_scikit_learn_does(value: float) -> None:
    train, label = _customers(2_000, seed=0)
    model = RandomForestClassifier(5, max_depth=4, random_state=0).fit(train, label)
    forest, reason = compile_forest(model)
    assert forest is not None, reason
    frame = train.head(3).copy()
    frame.loc[frame.index[1], "Income"] = value
    message = "Input X contains infinity or a value too large for dtype"
    with pytest.raises(ValueError, match=message):
        model.predict(frame)
    with pytest.raises(ValueError, match=message):
        forest.predict(frame[COLUMNS].to_numpy(np.float64))


def test_a_compiled_forest_is_saved_without_pickle_and_loads_to_the_same_answers(tmp_path: Path) -> None:
    train, label = _customers(3_000, seed=0)
    model = RandomForestClassifier(10, max_depth=6, random_state=0).fit(train, label)
    forest, _ = compile_forest(model)
    assert forest is not None
    forest.save(tmp_path / "forest.npz")
    loaded = CompiledForest.load(tmp_path / "forest.npz")  # np.load(allow_pickle=False) inside
    matrix = train[COLUMNS].to_numpy(np.float32)
    assert list(loaded.predict(matrix)) == list(model.predict(train))
    assert (loaded.kind, loaded.features) == ("RandomForestClassifier", COLUMNS)


def test_other_models_are_not_compiled_and_say_why() -> None:
    train, label = _customers(500, seed=0, missing=False)
    assert compile_forest(LogisticRegression().fit(train, label)) == (
        None,
        "LogisticRegression is not a scikit-learn tree ensemble",
    )
    two_outputs = RandomForestRegressor(3, random_state=0).fit(train, np.column_stack([train.Age, train.Age * 2]))
    assert compile_forest(two_outputs)[1] == (
        "RandomForestRegressor has 2 outputs; only single-output models are compiled"
    )
    unnamed = RandomForestClassifier(3, random_state=0).fit(train.to_numpy(), label)
    assert compile_forest(unnamed)[1] == "RandomForestClassifier was fitted without column names"


def test_a_batch_job_scores_with_the_compiled_forest_and_the_next_job_loads_it_from_the_cache(
    client: MLClient, tmp_path: Path
) -> None:
    train, label = _customers(5_000, seed=0)
    model = RandomForestClassifier(40, max_depth=10, random_state=0).fit(train, label)
    mlflow.sklearn.save_model(model, tmp_path / "model", pip_requirements=SKLEARN)
    registered = client.models.create_or_update(
        Model(path=str(tmp_path / "model"), name="churn-forest", type="mlflow_model")
    )
    client.batch_endpoints.begin_create_or_update(BatchEndpoint(name="forest-scorer")).result()
    deployment = ModelBatchDeployment(
        name="forest", endpoint_name="forest-scorer", model=registered.id, max_concurrency_per_instance=2
    )
    client.batch_deployments.begin_create_or_update(deployment).result()
    unseen, _ = _customers(300_000, seed=1)
    unseen.insert(0, "CustomerID", range(len(unseen)))
    pq.write_table(pa.Table.from_pandas(unseen), tmp_path / "in.parquet", row_group_size=50_000)

    logs = []
    for output in ("predictions.csv", "predictions.parquet"):  # the second job: the cache, and Parquet out
        job = client.batch_endpoints.invoke(
            "forest-scorer",
            input=Input(type="uri_file", path=str(tmp_path / "in.parquet")),
            params_override={"output_file_name": output},
        )
        client.jobs.stream(job.name, out=(log := io.StringIO()))
        logs.append(log.getvalue())
        client.jobs.download(job.name, tmp_path / output, output_name="score")
        written = tmp_path / output / "named-outputs" / "score" / output
        scored = pd.read_csv(written) if output.endswith(".csv") else pd.read_parquet(written)
        scored = scored.sort_values("CustomerID")
        assert len(scored) == len(unseen)
        assert list(scored.prediction) == list(model.predict(unseen[COLUMNS]))
    assert "predicting with RandomForestClassifier (scikit-learn), compiled: 40 trees, checked" in logs[0]
    assert "predicting with RandomForestClassifier (scikit-learn), compiled: from the cache" in logs[1]


def test_an_unreadable_cached_model_is_compiled_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "numba"))  # the scorer points numba at its cache
    train, label = _customers(2_000, seed=0)
    model = RandomForestClassifier(5, max_depth=4, random_state=0).fit(train, label)
    mlflow.sklearn.save_model(model, tmp_path / "model", pip_requirements=SKLEARN)
    cache = tmp_path / "compiled-models"
    assert "checked against scikit-learn" in driver.MlflowScorer(tmp_path / "model", cache).predictor
    (cached,) = cache.glob("*.npz")
    assert "from the cache" in driver.MlflowScorer(tmp_path / "model", cache).predictor
    cached.write_bytes(b"half a file")
    scorer = driver.MlflowScorer(tmp_path / "model", cache)
    assert "checked against scikit-learn" in scorer.predictor
    assert list(scorer.forest.predict(train[COLUMNS].to_numpy(np.float32))) == list(model.predict(train))
    assert "from the cache" in driver.MlflowScorer(tmp_path / "model", cache).predictor  # written anew


def test_a_driver_loads_a_cached_forest_without_scikit_learn_or_scipy(tmp_path: Path) -> None:
    train, label = _customers(2_000, seed=0)
    model = RandomForestClassifier(5, max_depth=6, random_state=0).fit(train, label)
    mlflow.sklearn.save_model(model, tmp_path / "model", pip_requirements=SKLEARN)
    cache = tmp_path / "compiled-models"
    driver.MlflowScorer(tmp_path / "model", cache)
    rows = train[COLUMNS].to_numpy(np.float32)
    np.save(tmp_path / "rows.npy", rows)
    script = f"""
import json, sys
from pathlib import Path
import numpy as np
sys.path.insert(0, {str(Path(driver.__file__).parent)!r})  # as the job runs it: a script beside forest.py
import driver
scorer = driver.MlflowScorer(Path({str(tmp_path / "model")!r}), Path({str(cache)!r}))
loaded = [name for name in ("sklearn", "scipy.linalg") if name in sys.modules]
predictions = scorer.forest.predict(np.load({str(tmp_path / "rows.npy")!r})).tolist()
import scipy.linalg  # hidden only while the kernels loaded
print(json.dumps({{"predictor": scorer.predictor, "loaded": loaded, "predictions": predictions}}))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["predictor"].endswith("compiled: from the cache")
    assert answer["loaded"] == []
    assert answer["predictions"] == model.predict(train).tolist()


def test_without_numba_the_driver_scores_with_scikit_learn_and_says_so(tmp_path: Path) -> None:
    train, label = _customers(2_000, seed=0)
    model = RandomForestClassifier(5, max_depth=6, random_state=0).fit(train, label)
    mlflow.sklearn.save_model(model, tmp_path / "model", pip_requirements=SKLEARN)
    pq.write_table(pa.Table.from_pandas(train), tmp_path / "in.parquet")
    arguments = [
        "driver.py", "--input", str(tmp_path / "in.parquet"), "--output", str(tmp_path / "out"),
        "--logs", str(tmp_path / "logs"), "--model-dir", str(tmp_path / "model"),
        "--cache-dir", str(tmp_path / "compiled-models"),
    ]  # fmt: skip
    script = f"""
import runpy, sys
sys.modules["numba"] = None  # an environment without numba: importing it raises ImportError
sys.argv = {arguments!r}
runpy.run_path({driver.__file__!r}, run_name="__main__")
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "RandomForestClassifier (scikit-learn, direct; not compiled: no numba)" in result.stderr
    scored = pd.read_csv(tmp_path / "out" / "predictions.csv")
    assert list(scored.prediction) == list(model.predict(train))
    assert not (tmp_path / "compiled-models").exists()


def test_without_a_cache_dir_kernels_are_cached_in_the_users_own_folder_not_a_shared_one(tmp_path: Path) -> None:
    script = f"""
import sys
sys.path.insert(0, {str(Path(driver.__file__).parent)!r})
import driver, numba
assert driver.forest_module(None) is not None
print(numba.config.CACHE_DIR)
"""
    environment = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    environment.pop("NUMBA_CACHE_DIR", None)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=environment, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(tmp_path / "cache" / "lakebox" / "numba")
