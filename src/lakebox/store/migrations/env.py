"""Alembic environment: runs on the engine that ``Database.upgrade`` passes in."""

from alembic import context

from lakebox.store.models import Base

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=engine.dialect.name == "sqlite",
    )
    context.run_migrations()
