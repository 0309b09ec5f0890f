"""Hyperparameter sweeps, as ``azure.ai.ml.sweep`` names them: ``from lakebox.sweep import Choice, BanditPolicy``."""

from lakebox.entities.command import SweepJob
from lakebox.entities.search_space import (
    Choice,
    LogNormal,
    LogUniform,
    Normal,
    QLogNormal,
    QLogUniform,
    QNormal,
    QUniform,
    Randint,
    Uniform,
)
from lakebox.entities.sweep import (
    BanditPolicy,
    GridSamplingAlgorithm,
    MedianStoppingPolicy,
    Objective,
    RandomSamplingAlgorithm,
    SweepJobLimits,
    TruncationSelectionPolicy,
)

__all__ = [
    "BanditPolicy",
    "Choice",
    "GridSamplingAlgorithm",
    "LogNormal",
    "LogUniform",
    "MedianStoppingPolicy",
    "Normal",
    "Objective",
    "QLogNormal",
    "QLogUniform",
    "QNormal",
    "QUniform",
    "Randint",
    "RandomSamplingAlgorithm",
    "SweepJob",
    "SweepJobLimits",
    "TruncationSelectionPolicy",
    "Uniform",
]
