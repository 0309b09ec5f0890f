"""Search space distributions of sweep jobs, as ``azure.ai.ml.sweep`` has them, positional arguments
included (``Choice([10, 50])``, ``Uniform(0.01, 0.9)``); ``LogUniform``'s bounds are exponents, as Azure's are."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, field_validator
from pydantic.dataclasses import dataclass

_STRICT = ConfigDict(extra="forbid")


@dataclass(config=_STRICT)
class Choice:
    """One of ``values`` (the only distribution grid sampling takes)."""

    values: list[str | int | float | bool]
    type: Literal["choice"] = "choice"

    @field_validator("values")
    @classmethod
    def _not_empty(cls, values: list[Any]) -> list[Any]:
        if not values:
            raise ValueError("a choice needs at least one value")
        return values


@dataclass(config=_STRICT)
class Randint:
    """An integer in ``[0, upper)``."""

    upper: int = Field(gt=0)
    type: Literal["randint"] = "randint"


# The bases hold the parameters in their positional order; each distribution adds its ``type`` last, as it
# has a default. A Q* one derives from a base, not from its sibling, so that ``case Uniform()`` misses ``QUniform``.


@dataclass(config=_STRICT)
class _Bounded:
    min_value: float
    max_value: float


@dataclass(config=_STRICT)
class _QBounded(_Bounded):
    q: float = Field(gt=0)


@dataclass(config=_STRICT)
class _Gaussian:
    mu: float
    sigma: float = Field(gt=0)


@dataclass(config=_STRICT)
class _QGaussian(_Gaussian):
    q: float = Field(gt=0)


@dataclass(config=_STRICT)
class Uniform(_Bounded):
    type: Literal["uniform"] = "uniform"


@dataclass(config=_STRICT)
class LogUniform(_Bounded):
    """``exp(uniform(min_value, max_value))``: the bounds are natural-log exponents."""

    type: Literal["loguniform"] = "loguniform"


@dataclass(config=_STRICT)
class Normal(_Gaussian):
    type: Literal["normal"] = "normal"


@dataclass(config=_STRICT)
class LogNormal(_Gaussian):
    """``exp(normal(mu, sigma))``."""

    type: Literal["lognormal"] = "lognormal"


@dataclass(config=_STRICT)
class QUniform(_QBounded):
    """``round(uniform(min_value, max_value) / q) * q``."""

    type: Literal["quniform"] = "quniform"


@dataclass(config=_STRICT)
class QLogUniform(_QBounded):
    type: Literal["qloguniform"] = "qloguniform"


@dataclass(config=_STRICT)
class QNormal(_QGaussian):
    type: Literal["qnormal"] = "qnormal"


@dataclass(config=_STRICT)
class QLogNormal(_QGaussian):
    type: Literal["qlognormal"] = "qlognormal"


Distribution = Annotated[
    Choice | Randint | Uniform | LogUniform | Normal | LogNormal | QUniform | QLogUniform | QNormal | QLogNormal,
    Field(discriminator="type"),
]
SEARCH_SPACE_TYPES = (
    Choice,
    Randint,
    Uniform,
    LogUniform,
    Normal,
    LogNormal,
    QUniform,
    QLogUniform,
    QNormal,
    QLogNormal,
)
