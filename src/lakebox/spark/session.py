"""Spark sessions configured for a lakebox workspace.

:func:`get_session` starts (or returns) a SparkSession with lakebox's ``delta`` format and
``synapsesql`` data source, lake URIs resolvable by them, Python workers running this Python, and
every listener on 127.0.0.1. ``SparkSession.builder...getOrCreate()`` from this module does the
same for code written against Synapse's ``spark`` (only its import changes).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import pyspark.sql

from lakebox.client.ml_client import MLClient
from lakebox.entities.spark_pool import SPARK_CONF_VARIABLE, SPARK_POOL_VARIABLE
from lakebox.spark import delta_format, mssparkutils
from lakebox.spark.lake_env import DATASTORES_VARIABLE, export_datastores
from lakebox.spark.synapsesql import SynapseSqlDataSource

DEFAULT_MASTER = "local[2]"


def get_session(
    app_name: str = "lakebox",
    *,
    pool: str | None = None,
    master: str | None = None,
    config: dict[str, str] | None = None,
    ml_client: MLClient | None = None,
) -> pyspark.sql.SparkSession:
    """A SparkSession for the workspace of ``ml_client``, on the Spark pool ``pool`` (inside a Spark
    job: the job's pool), or on ``master``, else ``local[2]``. ``config`` adds Spark settings.

    Without a client: the job's own workspace inside a job, else the local workspace
    (``config.json`` or the only one). Spark's local workers inherit the driver's environment, so
    this sets ``LAKEBOX_ENDPOINT``, ``LAKEBOX_SPARK_DATASTORES`` and ``PYSPARK_PYTHON`` in it.
    """
    client = ml_client or MLClient()
    mssparkutils.credentials.use(client)
    pool = pool or os.environ.get(SPARK_POOL_VARIABLE)
    spark_pool = client.spark_pools.get(pool) if pool else None
    master = master or (spark_pool.spark_master if spark_pool else DEFAULT_MASTER)
    config = {
        **(spark_pool.spark_config if spark_pool else {}),
        **json.loads(os.environ.get(SPARK_CONF_VARIABLE, "{}")),
        **(config or {}),
    }
    datastores = export_datastores(client.datastores.list())
    os.environ["LAKEBOX_ENDPOINT"] = client.base_url  # the synapsesql source's way to the warehouse
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    settings_for_workers = {
        f"spark.executorEnv.{DATASTORES_VARIABLE}": datastores,
        "spark.executorEnv.LAKEBOX_ENDPOINT": client.base_url,
        "spark.executorEnv.PYSPARK_PYTHON": os.environ["PYSPARK_PYTHON"],
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.ui.enabled": "false",
        "spark.sql.shuffle.partitions": "8",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",  # what Delta readers expect
    }
    session: pyspark.sql.SparkSession
    if master.startswith("sc://"):  # Spark Connect: the server's own settings apply, and only session ones here
        session = _configured(pyspark.sql.SparkSession.builder.remote(master), config).getOrCreate()
    else:
        builder = pyspark.sql.SparkSession.builder.appName(app_name).master(master)
        session = _configured(builder, {**settings_for_workers, **config}).getOrCreate()
        session.sparkContext.setLogLevel("WARN")
    session.dataSource.register(SynapseSqlDataSource)
    delta_format.install()
    return session


def _configured(builder: Any, config: dict[str, str]) -> Any:
    for key, value in config.items():
        builder = builder.config(key, value)
    return builder


class _Builder:
    """``SparkSession.builder`` as in pyspark, ending in :func:`get_session`."""

    def __init__(self) -> None:
        self._app_name = "lakebox"
        self._master: str | None = None
        self._config: dict[str, str] = {}

    def appName(self, name: str) -> _Builder:
        self._app_name = name
        return self

    def master(self, master: str) -> _Builder:
        self._master = master
        return self

    def config(self, key: str | None = None, value: Any = None, conf: Any = None) -> _Builder:
        if conf is not None:
            self._config.update(dict(conf.getAll()))
        if key is not None:
            self._config[key] = str(value)
        return self

    def getOrCreate(self) -> pyspark.sql.SparkSession:
        return get_session(self._app_name, master=self._master, config=self._config)


class _SessionClass(type):
    @property
    def builder(cls) -> _Builder:
        return _Builder()


class SparkSession(metaclass=_SessionClass):
    """Stands in for ``pyspark.sql.SparkSession`` in ``SparkSession.builder...getOrCreate()``."""

    @staticmethod
    def getActiveSession() -> pyspark.sql.SparkSession | None:
        return pyspark.sql.SparkSession.getActiveSession()
