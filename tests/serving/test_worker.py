"""The serving worker's choice of predictor, in the worker's own process, where the environment lacks numba."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from mlflow.models import infer_signature
from sklearn.ensemble import RandomForestClassifier

from lakebox.serving import worker
from tests.conftest import SKLEARN

WITHOUT_NUMBA = """
import json, sys
sys.modules["numba"] = None  # an environment without numba: importing it raises ImportError
sys.path.insert(0, {folder!r})  # as the gateway runs it: a script
import worker
scorer = worker.MlflowScorer(worker.Path({model!r}))
body = json.dumps({{"input_data": {rows!r}}}).encode()
print(json.dumps({{"predictor": scorer.predictor, "answer": json.loads(scorer.score([body])[0][1])}}))
"""


def test_without_numba_a_forest_is_served_through_onnx_and_still_answers(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=500), "b": rng.normal(size=500)})
    labels = (frame.a * frame.b > 0).astype(int)
    model = RandomForestClassifier(10, max_depth=5, random_state=0).fit(frame, labels)
    mlflow.sklearn.save_model(
        model, tmp_path / "model", signature=infer_signature(frame, labels), input_example=frame.iloc[:50],
        pip_requirements=SKLEARN,
    )  # fmt: skip
    rows = frame.iloc[:20].values.tolist()
    script = WITHOUT_NUMBA.format(folder=str(Path(worker.__file__).parent), model=str(tmp_path / "model"), rows=rows)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["predictor"].startswith("onnxruntime (verified"), answer["predictor"]
    assert answer["answer"] == model.predict(frame.iloc[:20]).tolist()
