"""Stand-in for the seed's data preparation until the Spark/Delta issue lands: writes customer
features with a numeric `target` (the seed's own bug: its prep never makes one) as Parquet under
the datastore paths that training_pipeline.py reads."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd


def write(datastore: Path, rows: int = 2000, seed: int = 42) -> tuple[int, int]:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 90, rows)
    income = rng.normal(60000, 20000, rows).clip(0)
    credit = rng.integers(300, 850, rows)
    balance = rng.normal(5000, 3000, rows)
    churn_score = -0.03 * (age - 50) - income / 40000 - (credit - 575) / 150 + rng.normal(0, 0.5, rows)
    frame = pd.DataFrame({"Age": age, "Income": income, "CreditScore": credit, "AccountBalance": balance}).assign(
        target=(churn_score > 0).astype(int)
    )
    train = frame.sample(frac=0.8, random_state=seed)
    test = frame.drop(train.index)
    for name, part in (("training", train), ("testing", test)):
        folder = datastore / name / "customer_features"
        folder.mkdir(parents=True, exist_ok=True)
        part.to_parquet(folder / "part-00000.parquet", index=False)
    return len(train), len(test)


if __name__ == "__main__":
    print(write(Path(sys.argv[1])))
