"""Sampling of a search space and early termination decisions, without a server."""

from __future__ import annotations

import itertools
import math
import random
import statistics

import pytest

from lakebox.entities.sweep import Objective, SweepFields
from lakebox.jobs.sweep.sampling import draw, samples, space_size
from lakebox.jobs.sweep.termination import trials_to_stop
from lakebox.sweep import (
    BanditPolicy,
    Choice,
    LogNormal,
    LogUniform,
    MedianStoppingPolicy,
    QLogUniform,
    QUniform,
    Randint,
    TruncationSelectionPolicy,
    Uniform,
)

MAXIMIZE = Objective(goal="maximize", primary_metric="accuracy")
MINIMIZE = Objective(goal="minimize", primary_metric="loss")


def _sweep(space: dict, sampling: object = "random") -> SweepFields:
    return SweepFields(search_space=space, sampling_algorithm=sampling, objective=MAXIMIZE)


def test_grid_yields_every_combination_once_in_order() -> None:
    sweep = _sweep({"a": Choice([1, 2]), "b": Choice(["x", "y", "z"])}, "grid")
    assert list(samples(sweep, seed=0)) == [{"a": a, "b": b} for a, b in itertools.product([1, 2], ["x", "y", "z"])]


def test_random_sampling_repeats_itself_for_the_same_seed_only() -> None:
    sweep = _sweep({"lr": Uniform(0.01, 0.1), "depth": Randint(10)})
    first = list(itertools.islice(samples(sweep, seed=3), 20))
    assert first == list(itertools.islice(samples(sweep, seed=3), 20))
    assert first != list(itertools.islice(samples(sweep, seed=4), 20))
    seeded = _sweep({"lr": Uniform(0.01, 0.1)}, {"type": "random", "seed": 11})
    assert list(itertools.islice(samples(seeded, seed=1), 5)) == list(itertools.islice(samples(seeded, seed=2), 5))


def test_random_sampling_of_a_finite_space_never_repeats_and_ends() -> None:
    space = {"a": Choice([1, 2, 3]), "b": Randint(2)}
    drawn = list(samples(_sweep(space), seed=5))
    assert space_size(space) == 6
    assert len(drawn) == 6 and len({tuple(d.values()) for d in drawn}) == 6


def test_distributions_follow_azure_ml_definitions() -> None:
    rng = random.Random(0)
    logs = [draw(LogUniform(-6, -1), rng) for _ in range(2000)]
    assert math.exp(-6) <= min(logs) and max(logs) <= math.exp(-1)
    assert statistics.median(math.log(v) for v in logs) == pytest.approx(-3.5, abs=0.2)
    quantized = [draw(QUniform(0, 100, 10), rng) for _ in range(200)]
    assert all(isinstance(v, int) and v % 10 == 0 and 0 <= v <= 100 for v in quantized)
    assert all(v % 0.5 == 0 for v in (draw(QLogUniform(0, 3, 0.5), rng) for _ in range(50)))
    assert {draw(Randint(3), rng) for _ in range(200)} == {0, 1, 2}
    assert all(v > 0 for v in (draw(LogNormal(0, 1), rng) for _ in range(100)))


def test_bandit_stops_trials_outside_the_slack_factor_of_the_best() -> None:
    policy = BanditPolicy(slack_factor=0.1, evaluation_interval=1)
    histories = {"best": [0.8], "close": [0.75], "far": [0.7]}  # limit 0.8 / 1.1 = 0.727
    assert set(trials_to_stop(policy, MAXIMIZE, histories, {"close", "far"})) == {"far"}
    losses = {"best": [0.2], "close": [0.21], "far": [0.3]}  # limit 0.2 * 1.1 = 0.22
    assert set(trials_to_stop(policy, MINIMIZE, losses, {"close", "far"})) == {"far"}


def test_bandit_slack_amount_and_delay() -> None:
    policy = BanditPolicy(slack_amount=0.05, delay_evaluation=2)
    assert trials_to_stop(policy, MAXIMIZE, {"best": [0.9, 0.9], "far": [0.1, 0.1]}, {"far"}) == {}
    stops = trials_to_stop(policy, MAXIMIZE, {"best": [0.9, 0.9, 0.9], "far": [0.1, 0.1, 0.84]}, {"far"})
    assert stops == {
        "far": "accuracy 0.84 at interval 3 is outside the slack amount 0.05 of the best, 0.9 (limit 0.85)"
    }


def test_bandit_compares_trials_at_the_same_interval() -> None:
    policy = BanditPolicy(slack_factor=0.1, evaluation_interval=2)
    # "late" has only reached interval 2, where "early" had 0.5, so it is not behind; interval 3 is not evaluated.
    histories = {"early": [0.5, 0.5, 0.95], "late": [0.5, 0.5, 0.1]}
    assert trials_to_stop(policy, MAXIMIZE, histories, {"late"}) == {}


def test_median_stopping_stops_a_trial_whose_best_is_below_the_median_of_averages() -> None:
    policy = MedianStoppingPolicy(evaluation_interval=1)
    histories = {"a": [0.6, 0.8], "b": [0.7, 0.7], "c": [0.5, 0.6]}  # averages 0.7, 0.7, 0.55: median 0.7
    stops = trials_to_stop(policy, MAXIMIZE, histories, {"a", "b", "c"})
    assert set(stops) == {"c"} and "median of the trials' running averages, 0.7" in stops["c"]
    assert trials_to_stop(policy, MAXIMIZE, {"alone": [0.1]}, {"alone"}) == {}


def test_truncation_selection_stops_the_lowest_percentage() -> None:
    policy = TruncationSelectionPolicy(truncation_percentage=50, evaluation_interval=1)
    histories = {"a": [0.9], "b": [0.8], "c": [0.3], "d": [0.2]}
    assert set(trials_to_stop(policy, MAXIMIZE, histories, set(histories))) == {"c", "d"}
    assert set(trials_to_stop(policy, MINIMIZE, histories, set(histories))) == {"a", "b"}
