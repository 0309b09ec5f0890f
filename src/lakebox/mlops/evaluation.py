"""Scoring models on held-out data, the same way for each: one process loads every model with MLflow's
pyfunc flavour, predicts the same rows and computes the same metric from the predictions (a run's own
reported figures are not trusted). It runs apart from the server, so a model's libraries and memory
never enter the control plane.

    python -m lakebox.mlops.evaluation --data PATH --label target --metric accuracy MODEL_DIR [MODEL_DIR ...]

prints ``{"rows": n, "scores": [...]}``, one score per model in order.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from lakebox.errors import ValidationError
from lakebox.lake.files import read_files, source_files

EVALUATION_TIMEOUT_SECONDS = 1800


def score_models(models: list[Path], data: Path, label: str, metric: str) -> tuple[int, list[float]]:
    """The number of held-out rows and each model's ``metric`` on them."""
    command = [sys.executable, "-m", "lakebox.mlops.evaluation", "--data", str(data), "--label", label]
    command += ["--metric", metric, *map(str, models)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=EVALUATION_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired as exc:
        raise ValidationError(f"evaluating the models took longer than {EVALUATION_TIMEOUT_SECONDS}s") from exc
    if done.returncode != 0:
        reason = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit code {done.returncode}"
        raise ValidationError(f"evaluating the models failed: {reason}")
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    return int(answer["rows"]), [float(score) for score in answer["scores"]]


def metric_value(metric: str, truth: Any, predicted: Any) -> float:
    """``metric`` of ``predicted`` against ``truth`` (precision, recall and F1 weighted by class, as the
    seed's train.py computes them)."""
    from sklearn import metrics

    computations = {
        "accuracy": lambda: metrics.accuracy_score(truth, predicted),
        "precision": lambda: metrics.precision_score(truth, predicted, average="weighted", zero_division=0),
        "recall": lambda: metrics.recall_score(truth, predicted, average="weighted", zero_division=0),
        "f1": lambda: metrics.f1_score(truth, predicted, average="weighted", zero_division=0),
        "r2": lambda: metrics.r2_score(truth, predicted),
        "mae": lambda: metrics.mean_absolute_error(truth, predicted),
        "mse": lambda: metrics.mean_squared_error(truth, predicted),
        "rmse": lambda: metrics.root_mean_squared_error(truth, predicted),
    }
    return float(computations[metric]())


def _predictions(model_dir: Path, features: Any) -> Any:
    import mlflow.pyfunc
    import numpy as np
    import pandas as pd

    predicted = mlflow.pyfunc.load_model(str(model_dir)).predict(features)
    if isinstance(predicted, pd.DataFrame):
        predicted = predicted.iloc[:, 0]
    return np.asarray(predicted).reshape(len(features), -1)[:, 0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lakebox.mlops.evaluation")
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--label", required=True)
    parser.add_argument("--metric", required=True)
    parser.add_argument("models", nargs="+", type=Path)
    args = parser.parse_args(argv)
    frame = read_files(*source_files(args.data)).to_pandas()
    if args.label not in frame.columns:
        raise SystemExit(f"the held-out data has no column {args.label!r}; it has {', '.join(frame.columns)}")
    if frame.empty:
        raise SystemExit("the held-out data has no rows")
    truth, features = frame[args.label], frame.drop(columns=[args.label])
    scores = [metric_value(args.metric, truth, _predictions(model, features)) for model in args.models]
    print(json.dumps({"rows": len(frame), "scores": scores}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
