"""The activity types lakebox runs, registered by name (see :mod:`.base` for the contract)."""

from lakebox.pipelines.activities import control, data, ml, spark
from lakebox.pipelines.activities.base import ACTIVITY_TYPES

__all__ = ["ACTIVITY_TYPES", "control", "data", "ml", "spark"]
