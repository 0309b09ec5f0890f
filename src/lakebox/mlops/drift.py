"""Data drift of each feature between reference data (what a model was trained on) and production data
(what it is asked about).

- **Population stability index** over ten bins cut at the reference's deciles (numerical features) or
  over the categories (categorical ones): ``sum((p - q) * ln(p / q))``; below 0.1 is usually read as
  stable, above 0.2 as a significant shift.
- **Jensen-Shannon distance** (base 2, so between 0 and 1) over the same bins.
- **Two-sample Kolmogorov-Smirnov test** for numerical features, **Pearson's chi-squared test** of the
  category counts for categorical ones: each test's p-value.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from lakebox.entities.monitor import DataDriftMetricThreshold, NumericalDriftMetrics

_BINS = 10
_FLOOR = 1e-4  # an empty bin's share, so the logarithms stay finite


class FeatureDrift(BaseModel):
    feature: str
    kind: str  # numerical | categorical
    population_stability_index: float
    jensen_shannon_distance: float
    ks_statistic: float | None = None
    p_value: float | None = Field(default=None, description="Of the KS test, or of the chi-squared test.")
    drifted: bool = False
    breaches: list[str] = []


class DriftReport(BaseModel):
    reference_rows: int
    production_rows: int
    features: list[FeatureDrift]

    @property
    def drifted(self) -> list[str]:
        return [f.feature for f in self.features if f.drifted]


def data_drift(
    reference: pd.DataFrame,
    production: pd.DataFrame,
    thresholds: DataDriftMetricThreshold,
    features: Sequence[str] | None = None,
) -> DriftReport:
    """Each feature's drift (every column the two share, unless ``features`` names some), judged by ``thresholds``."""
    names = list(features) if features else [c for c in reference.columns if c in production.columns]
    missing = [name for name in names if name not in reference.columns or name not in production.columns]
    if missing:
        raise ValueError(f"feature(s) {', '.join(missing)} are not in both the reference and the production data")
    results = [_judge(feature_drift(name, reference[name], production[name]), thresholds) for name in names]
    return DriftReport(reference_rows=len(reference), production_rows=len(production), features=results)


def feature_drift(name: str, reference: pd.Series, production: pd.Series) -> FeatureDrift:
    reference, production = reference.dropna(), production.dropna()
    statistic = p_value = None
    if pd.api.types.is_numeric_dtype(reference) and pd.api.types.is_numeric_dtype(production):
        from scipy.stats import ks_2samp

        expected, actual = _binned(reference.to_numpy(float), production.to_numpy(float))
        if len(reference) and len(production):
            ks = ks_2samp(reference.to_numpy(float), production.to_numpy(float))
            statistic, p_value = float(ks.statistic), float(ks.pvalue)
        kind = "numerical"
    else:
        expected, actual = _categories(reference.astype(str), production.astype(str))
        if expected.sum() and actual.sum() and len(expected) > 1:
            from scipy.stats import chi2_contingency

            p_value = float(chi2_contingency(np.vstack([expected, actual]) + 0.5).pvalue)
        kind = "categorical"
    return FeatureDrift(
        feature=name,
        kind=kind,
        population_stability_index=population_stability_index(expected, actual),
        jensen_shannon_distance=jensen_shannon_distance(expected, actual),
        ks_statistic=statistic,
        p_value=p_value,
    )


def population_stability_index(expected: np.ndarray, actual: np.ndarray) -> float:
    p, q = _shares(expected), _shares(actual)
    return float(np.sum((q - p) * np.log(q / p)))


def jensen_shannon_distance(expected: np.ndarray, actual: np.ndarray) -> float:
    from scipy.spatial.distance import jensenshannon

    return float(jensenshannon(_shares(expected), _shares(actual), base=2))


def _shares(counts: np.ndarray) -> np.ndarray:
    shares: np.ndarray = np.maximum(counts / max(counts.sum(), 1), _FLOOR)
    normalised: np.ndarray = shares / shares.sum()
    return normalised


def _binned(reference: np.ndarray, production: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Counts in bins cut at the reference's deciles (fewer bins where values repeat)."""
    inner = np.unique(np.quantile(reference, np.linspace(0, 1, _BINS + 1)[1:-1]))
    edges = np.concatenate(([-np.inf], inner, [np.inf]))
    return np.histogram(reference, edges)[0].astype(float), np.histogram(production, edges)[0].astype(float)


def _categories(reference: pd.Series, production: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    categories = sorted(set(reference) | set(production))
    expected = reference.value_counts().reindex(categories, fill_value=0).to_numpy(float)
    actual = production.value_counts().reindex(categories, fill_value=0).to_numpy(float)
    return expected, actual


def _judge(drift: FeatureDrift, thresholds: DataDriftMetricThreshold) -> FeatureDrift:
    limits = thresholds.numerical if drift.kind == "numerical" else thresholds.categorical
    breaches = []
    if limits.population_stability_index is not None and (
        drift.population_stability_index > limits.population_stability_index
    ):
        breaches.append(f"PSI {drift.population_stability_index:.3f} > {limits.population_stability_index:g}")
    if limits.jensen_shannon_distance is not None and drift.jensen_shannon_distance > limits.jensen_shannon_distance:
        breaches.append(f"JS {drift.jensen_shannon_distance:.3f} > {limits.jensen_shannon_distance:g}")
    test, label = (
        (limits.two_sample_kolmogorov_smirnov_test, "KS")
        if isinstance(limits, NumericalDriftMetrics)
        else (limits.pearsons_chi_squared_test, "chi-squared")
    )
    if test is not None and drift.p_value is not None and drift.p_value < test:
        breaches.append(f"{label} p-value {drift.p_value:.2g} < {test:g}")
    return drift.model_copy(update={"drifted": bool(breaches), "breaches": breaches})
