"""Spark for lakebox: sessions on a pool with Delta and ``synapsesql`` data sources, lake URIs and
``mssparkutils``, so Synapse notebook code runs with only its imports changed::

    from lakebox.spark import SparkSession, mssparkutils
"""

from lakebox.spark import mssparkutils
from lakebox.spark.delta_table import DeltaTable
from lakebox.spark.session import SparkSession, get_session

__all__ = ["DeltaTable", "SparkSession", "get_session", "mssparkutils"]
