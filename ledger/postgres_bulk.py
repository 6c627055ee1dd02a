"""A first import into PostgreSQL with its table's checks built once, after the rows.

PostgreSQL checks a foreign key row by row (a trigger that looks up and locks the parent
row) and grows each index row by row: 61 s of server CPU for the 3.0 M rows of a
million-invoice import, two thirds of it in the payments' and actions' foreign keys.
When a save writes at least as many rows as its table holds (a first import), the
table's foreign keys and secondary indexes are dropped for the write and made again after
it: one join validates each key, one sort builds each index; then the table is analysed
(the planner chose slow plans for the KPIs in SQL on tables it had no figures of). All of
it in the save's transaction: a failure rolls them back with the rows. The price: the
table is locked against readers until the save commits (``ALTER TABLE`` takes an
exclusive lock); readers wait within their lock bound, then retry, as on any busy
database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

REBUILD_MIN_ROWS = 50_000
"""Rows written from which the table is counted to decide: a few rows (an action from the
API) are written without the count's cost."""
REBUILD_MEMORY = "256MB"
"""``maintenance_work_mem`` while the indexes are built: sorted in memory, not on disk."""


@contextmanager
def checks_built_after(connection: Connection, table: str, rows: int) -> Iterator[None]:
    """The block writes ``rows`` rows into ``table``; when they are many and the table
    holds no more rows than that, its foreign keys and secondary indexes are dropped for
    the block and made again after it (in the caller's transaction)."""
    if (
        rows < REBUILD_MIN_ROWS
        or rows < connection.exec_driver_sql(f'SELECT count(*) FROM "{table}"').scalar_one()
    ):
        yield
        return
    keys = connection.exec_driver_sql(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = %(t)s::regclass AND contype = 'f'",
        {"t": table},
    ).all()
    indexes = connection.exec_driver_sql(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x"
        " JOIN pg_class i ON i.oid = x.indexrelid"
        " WHERE x.indrelid = %(t)s::regclass AND NOT x.indisprimary"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
        {"t": table},
    ).all()
    for name, _ in keys:
        connection.exec_driver_sql(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    yield
    connection.exec_driver_sql(f"SET LOCAL maintenance_work_mem = '{REBUILD_MEMORY}'")
    for _, definition in indexes:
        connection.exec_driver_sql(definition)
    for name, definition in keys:
        connection.exec_driver_sql(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
    connection.exec_driver_sql(f'ANALYZE "{table}"')  # the planner's figures, for what reads next
