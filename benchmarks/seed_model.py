"""The seed's model for benchmarks: a RandomForest (100 trees, depth 10) on the seed's 4 features,
trained on synthetic customers and saved in MLflow format."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from mlflow.models import infer_signature
from sklearn.ensemble import RandomForestClassifier

FEATURES = ["Age", "Income", "CreditScore", "AccountBalance"]


def customers(rows: int, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "Age": rng.integers(18, 80, rows).astype(float),
            "Income": rng.normal(60_000, 20_000, rows),
            "CreditScore": rng.integers(300, 850, rows).astype(float),
            "AccountBalance": rng.normal(10_000, 5_000, rows),
        }
    )
    churn = ((frame.Age < 30) ^ (frame.CreditScore > 600) ^ (rng.random(rows) < 0.2)).astype(int)
    return frame, churn


def train(folder: Path, *, signature: bool = True) -> tuple[RandomForestClassifier, pd.DataFrame]:
    """Train and save the model; without ``signature`` it is saved as the seed's train.py logs it."""
    frame, churn = customers(100_000)
    model = RandomForestClassifier(n_estimators=100, max_depth=10, random_state=0, n_jobs=-1).fit(frame, churn)
    model.set_params(n_jobs=None)  # as loaded for scoring: one thread per predict
    if signature:
        mlflow.sklearn.save_model(
            model, folder, signature=infer_signature(frame, churn), input_example=frame.iloc[:200]
        )
    else:
        mlflow.sklearn.save_model(model, folder)
    return model, frame
