"""Alembic environment: runs the ledger's migrations on the connection it is handed."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import ledger.lettrage_store  # noqa: F401  (registers bank_lines and lettrage_proposals)
from ledger.schema import metadata

config = context.config


def run_migrations() -> None:
    """Migrate the connection in ``config.attributes`` or, from the alembic CLI, the URL."""
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///encours.db")
        with engine.begin() as conn:
            _migrate(conn)
    else:
        _migrate(connection)


def _migrate(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
