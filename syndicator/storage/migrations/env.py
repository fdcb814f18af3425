"""Alembic environment: runs on the connection the engine hands over."""

from __future__ import annotations

from alembic import context

from syndicator.storage.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when alembic is run by hand without the engine
    raise RuntimeError("run migrations through `syndicator` (it passes the database connection)")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
