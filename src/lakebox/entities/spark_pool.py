"""Spark pools: where a Spark session or Spark job runs, ``local[N]`` on this machine by default, a
standalone cluster (``spark://host:7077``) or a Spark Connect server (``sc://host:15002``), whose
machines see the same lake folders."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lakebox.entities.command import Command


class SparkPool(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9-]{0,63}$")
    node_count: int = Field(default=2, ge=1, le=512, description="Cores of local[N] when no master is given.")
    master: str | None = Field(default=None, description="spark://host:port or sc://host:port; default local[N].")
    spark_config: dict[str, str] = Field(default_factory=dict, description="Spark settings for every session.")
    description: str | None = None

    @field_validator("master")
    @classmethod
    def _known_master(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("spark://", "sc://", "local")):
            raise ValueError(f"master {value!r} is not spark://host:port, sc://host:port or local[...]")
        return value

    @property
    def spark_master(self) -> str:
        return self.master or f"local[{self.node_count}]"


SPARK_POOL_VARIABLE = "LAKEBOX_SPARK_POOL"
SPARK_CONF_VARIABLE = "LAKEBOX_SPARK_CONF"
NOTEBOOK_EXIT_VARIABLE = "LAKEBOX_NOTEBOOK_EXIT_FILE"  # where mssparkutils.notebook.exit leaves its value


def spark(
    *,
    code: str,
    entry: dict[str, str],
    args: str = "",
    compute: str | None = None,
    conf: dict[str, str] | None = None,
    **fields: Any,
) -> Command:
    """A Spark job, as ``azure.ai.ml.spark`` builds one: the script ``entry={"file": "prep.py"}`` in
    ``code`` is the driver; ``compute`` names the Spark pool its sessions run on, with ``conf``.

    The driver runs as a command job on the local compute; ``lakebox.spark`` sessions inside it
    find the pool and settings in ``LAKEBOX_SPARK_POOL`` and ``LAKEBOX_SPARK_CONF``.
    """
    if "file" not in entry:
        raise ValueError('entry needs a "file": the PySpark script to run, e.g. {"file": "prep.py"}')
    variables = dict(fields.pop("environment_variables", None) or {})
    if compute:
        variables[SPARK_POOL_VARIABLE] = compute.removeprefix("azureml:")
    if conf:
        variables[SPARK_CONF_VARIABLE] = json.dumps(conf)
    command_line = f"python {entry['file']} {args}".strip()
    return Command(code=code, command=command_line, environment_variables=variables, **fields)
