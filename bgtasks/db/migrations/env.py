"""Alembic environment: the engine comes from bgtasks.db.migrate, never from an ini file."""

from alembic import context

from bgtasks.db.migrate import VERSION_TABLE
from bgtasks.db.tables import metadata

engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
