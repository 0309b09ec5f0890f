"""The trials of a sweep, in a fixed order: every combination for grid sampling, seeded draws for
random sampling (no repeats when the space is finite). The same sweep always yields the same
sequence, so a restarted server picks up where the last one stopped."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterator
from typing import Any

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
from lakebox.entities.sweep import GridSamplingAlgorithm, SweepFields

Sample = dict[str, Any]


def samples(sweep: SweepFields, seed: int) -> Iterator[Sample]:
    """The hyperparameter values of trial 0, 1, 2, ... (``seed`` is used when the sweep names none)."""
    if isinstance(sweep.sampling_algorithm, GridSamplingAlgorithm):
        return _grid(sweep.search_space)  # type: ignore[arg-type]
    chosen = sweep.sampling_algorithm.seed
    return _random(sweep.search_space, random.Random(seed if chosen is None else chosen))


def space_size(space: dict[str, Any]) -> float:
    """How many distinct samples the space holds (``inf`` for any continuous distribution)."""
    sizes = [
        len(d.values) if isinstance(d, Choice) else d.upper if isinstance(d, Randint) else math.inf
        for d in space.values()
    ]
    return math.prod(sizes)


def _grid(space: dict[str, Choice]) -> Iterator[Sample]:
    names = list(space)
    for values in itertools.product(*(space[name].values for name in names)):
        yield dict(zip(names, values, strict=True))


def _random(space: dict[str, Any], rng: random.Random) -> Iterator[Sample]:
    size = space_size(space)
    seen: set[tuple[Any, ...]] = set()
    while len(seen) < size:
        sample = {name: draw(distribution, rng) for name, distribution in space.items()}
        key = tuple(sample.values())
        if math.isfinite(size):
            if key in seen:
                continue
            seen.add(key)
        yield sample


def draw(distribution: Any, rng: random.Random) -> Any:
    """One value of ``distribution``, with Azure ML's definitions (log bounds are exponents)."""
    match distribution:
        case Choice(values=values):
            return rng.choice(values)
        case Randint(upper=upper):
            return rng.randrange(upper)
        case Uniform(min_value=low, max_value=high):
            return rng.uniform(low, high)
        case LogUniform(min_value=low, max_value=high):
            return math.exp(rng.uniform(low, high))
        case Normal(mu=mu, sigma=sigma):
            return rng.gauss(mu, sigma)
        case LogNormal(mu=mu, sigma=sigma):
            return math.exp(rng.gauss(mu, sigma))
        case QUniform(min_value=low, max_value=high, q=q):
            return _quantize(rng.uniform(low, high), q)
        case QLogUniform(min_value=low, max_value=high, q=q):
            return _quantize(math.exp(rng.uniform(low, high)), q)
        case QNormal(mu=mu, sigma=sigma, q=q):
            return _quantize(rng.gauss(mu, sigma), q)
        case QLogNormal(mu=mu, sigma=sigma, q=q):
            return _quantize(math.exp(rng.gauss(mu, sigma)), q)
    raise TypeError(f"not a search space distribution: {distribution!r}")


def _quantize(value: float, q: float) -> float | int:
    quantized = round(value / q) * q
    return int(quantized) if float(q).is_integer() else quantized
