"""Synapse's ``notebookutils`` name for lakebox's helpers: ``from notebookutils import mssparkutils``."""

from lakebox.spark import mssparkutils

__all__ = ["mssparkutils"]
