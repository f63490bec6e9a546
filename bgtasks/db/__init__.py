"""The registry's SQL storage: tables, engine, Alembic migrations."""
