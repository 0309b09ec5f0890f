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


@dataclass(config=_STRICT)
class Uniform:
    min_value: float
    max_value: float
    type: Literal["uniform"] = "uniform"


@dataclass(config=_STRICT)
class LogUniform:
    """``exp(uniform(min_value, max_value))``: the bounds are natural-log exponents."""

    min_value: float
    max_value: float
    type: Literal["loguniform"] = "loguniform"


@dataclass(config=_STRICT)
class Normal:
    mu: float
    sigma: float = Field(gt=0)
    type: Literal["normal"] = "normal"


@dataclass(config=_STRICT)
class LogNormal:
    """``exp(normal(mu, sigma))``."""

    mu: float
    sigma: float = Field(gt=0)
    type: Literal["lognormal"] = "lognormal"


@dataclass(config=_STRICT)
class QUniform:
    """``round(uniform(min_value, max_value) / q) * q``."""

    min_value: float
    max_value: float
    q: float = Field(gt=0)
    type: Literal["quniform"] = "quniform"


@dataclass(config=_STRICT)
class QLogUniform:
    min_value: float
    max_value: float
    q: float = Field(gt=0)
    type: Literal["qloguniform"] = "qloguniform"


@dataclass(config=_STRICT)
class QNormal:
    mu: float
    sigma: float = Field(gt=0)
    q: float = Field(gt=0)
    type: Literal["qnormal"] = "qnormal"


@dataclass(config=_STRICT)
class QLogNormal:
    mu: float
    sigma: float = Field(gt=0)
    q: float = Field(gt=0)
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
