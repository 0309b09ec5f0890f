"""The metadata database: SQLAlchemy models, migrations and one store class per concept.

Rows never leave this package: stores return ``lakebox.entities`` objects.
"""

from lakebox.store.db import Database

__all__ = ["Database"]
