"""How Spark's Python workers learn the lake and the server: an environment variable each, set on
the driver before the JVM starts (local mode inherits it) and passed as executor environment."""

from __future__ import annotations

import json
import os

from lakebox.entities import Datastore
from lakebox.lake.uris import LakeResolver

DATASTORES_VARIABLE = "LAKEBOX_SPARK_DATASTORES"


def export_datastores(datastores: list[Datastore]) -> str:
    """Put the datastores in the environment for workers; returns the value (for executor env)."""
    value = json.dumps([store.model_dump(mode="json") for store in datastores])
    os.environ[DATASTORES_VARIABLE] = value
    return value


def resolver() -> LakeResolver:
    """The lake as the driver described it (only local paths resolve when nothing was exported)."""
    raw = os.environ.get(DATASTORES_VARIABLE, "[]")
    return LakeResolver(Datastore.model_validate(item) for item in json.loads(raw))
