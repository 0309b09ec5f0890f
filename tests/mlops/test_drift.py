"""Drift statistics and the reading of collected request bodies, on data with and without a shift."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from lakebox.entities.monitor import CategoricalDriftMetrics, DataDriftMetricThreshold, NumericalDriftMetrics
from lakebox.mlops.drift import data_drift, feature_drift, population_stability_index
from lakebox.mlops.monitor import payload_frame, payload_rows


def _customers(rows: int, seed: int, age_shift: float = 0.0, plans: tuple[float, float] = (0.7, 0.3)) -> pd.DataFrame:
    generator = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "Age": generator.normal(45 + age_shift, 12, rows),
            "Income": generator.lognormal(10.8, 0.4, rows),
            "Plan": generator.choice(["basic", "premium"], rows, p=list(plans)),
        }
    )


def test_unshifted_samples_do_not_drift_and_a_shifted_feature_does() -> None:
    reference = _customers(5000, seed=1)
    same = data_drift(reference, _customers(1000, seed=2), DataDriftMetricThreshold())
    assert same.drifted == []
    assert all(f.population_stability_index < 0.05 and f.jensen_shannon_distance < 0.1 for f in same.features)

    shifted = data_drift(reference, _customers(1000, seed=3, age_shift=15), DataDriftMetricThreshold())
    assert shifted.drifted == ["Age"]  # only the shifted feature
    age = shifted.features[0]
    assert age.kind == "numerical" and age.population_stability_index > 0.5 and age.p_value < 1e-10
    assert age.breaches[0].startswith("PSI ")


def test_a_categorical_feature_drifts_when_its_mix_changes() -> None:
    reference = _customers(5000, seed=1)
    report = data_drift(reference, _customers(1000, seed=4, plans=(0.2, 0.8)), DataDriftMetricThreshold())
    assert report.drifted == ["Plan"]
    plan = next(f for f in report.features if f.feature == "Plan")
    assert plan.kind == "categorical" and plan.ks_statistic is None and plan.p_value < 1e-10
    # The PSI of a 70/30 -> 20/80 change, by hand: sum((q - p) * ln(q / p)).
    expected = (0.2 - 0.7) * np.log(0.2 / 0.7) + (0.8 - 0.3) * np.log(0.8 / 0.3)
    assert plan.population_stability_index == pytest.approx(expected, rel=0.1)


def test_thresholds_decide_which_metrics_count() -> None:
    reference, production = _customers(5000, seed=1), _customers(1000, seed=3, age_shift=4)
    lenient = DataDriftMetricThreshold(
        numerical=NumericalDriftMetrics(population_stability_index=5, jensen_shannon_distance=0.9),
        categorical=CategoricalDriftMetrics(population_stability_index=5),
    )
    assert data_drift(reference, production, lenient).drifted == []
    strict = lenient.model_copy(
        update={"numerical": NumericalDriftMetrics(population_stability_index=None, jensen_shannon_distance=None,
                                                   two_sample_kolmogorov_smirnov_test=0.01)}
    )  # fmt: skip
    report = data_drift(reference, production, strict, features=["Age", "Income"])
    assert report.drifted == ["Age"] and report.features[0].breaches[0].startswith("KS p-value")
    with pytest.raises(ValueError, match="not in both"):
        data_drift(reference, production, strict, features=["Tenure"])


def test_psi_of_identical_distributions_is_zero_and_grows_with_the_shift() -> None:
    counts = np.array([10.0, 20.0, 30.0, 40.0])
    assert population_stability_index(counts, counts * 3) == pytest.approx(0.0)
    base = pd.Series(np.random.default_rng(5).normal(0, 1, 4000))
    psi = [feature_drift("x", base, base + shift).population_stability_index for shift in (0.1, 0.5, 1.0)]
    assert psi == sorted(psi) and psi[0] < 0.1 < psi[2]


def test_request_bodies_of_every_scoring_contract_are_read_back_into_rows() -> None:
    columns = ["Age", "Income"]
    assert payload_rows(json.dumps({"data": [[42, 55000.0], [30, 41000.0]]}), columns) == [
        {"Age": 42, "Income": 55000.0},
        {"Age": 30, "Income": 41000.0},
    ]
    split = {"input_data": {"columns": ["Income", "Age"], "index": [0], "data": [[1.0, 2]]}}
    assert payload_rows(json.dumps(split), columns) == [{"Income": 1.0, "Age": 2}]
    assert payload_rows(json.dumps({"dataframe_records": [{"Age": 1, "Income": 2}]}), columns) == [
        {"Age": 1, "Income": 2}
    ]
    assert payload_rows(json.dumps({"inputs": {"Age": [1, 2], "Income": [3, 4]}}), columns) == [
        {"Age": 1, "Income": 3},
        {"Age": 2, "Income": 4},
    ]
    assert payload_rows(json.dumps({"data": [1, 2]}), columns) == [{"Age": 1, "Income": 2}]
    frame, unread = payload_frame(
        pd.Series(["not json", json.dumps({"data": [[1, 2, 3]]}), '{"data": [[5, 6]]}']), columns
    )
    assert unread == 2 and frame.to_dict("records") == [{"Age": 5, "Income": 6}]
