"""Locks held on a database by "another program", as the lock tests need them.

``held_lock(engine)`` holds the write lock: SQLite ``BEGIN EXCLUSIVE`` from a raw sqlite3
connection (with write-ahead logging, readers still read), PostgreSQL ``LOCK TABLE ... IN
EXCLUSIVE MODE`` on every table (reads pass, writes wait). ``readers=True`` holds a
lock that stops readers too: PostgreSQL ``ACCESS EXCLUSIVE``; on SQLite an exclusive
locking mode, which a write-ahead-logged file grants only once no other connection is
open (``engine``'s pool is emptied first, so the app's next query opens a new one).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, text

from ledger.schema import metadata


@contextmanager
def held_lock(engine: Engine, readers: bool = False) -> Iterator[None]:
    """Hold a lock on ``engine``'s database for the block (see the module docstring)."""
    if engine.dialect.name == "sqlite":
        with _sqlite_lock(engine, readers):
            yield
    else:
        with _postgres_lock(engine, readers):
            yield


@contextmanager
def _sqlite_lock(engine: Engine, readers: bool) -> Iterator[None]:
    if readers:
        engine.dispose()
    holder = sqlite3.connect(str(engine.url.database), isolation_level=None, timeout=5)
    try:
        if readers:
            holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute("SELECT count(*) FROM api_keys").fetchall()  # takes the lock now
        yield
    finally:
        if holder.in_transaction:
            holder.execute("ROLLBACK")
        holder.close()


@contextmanager
def _postgres_lock(engine: Engine, readers: bool) -> Iterator[None]:
    other = create_engine(engine.url)
    mode = "ACCESS EXCLUSIVE" if readers else "EXCLUSIVE"
    tables = ", ".join(["alembic_version", *metadata.tables])
    try:
        with other.connect() as connection:
            connection.execute(text(f"LOCK TABLE {tables} IN {mode} MODE"))
            yield
            connection.rollback()
    finally:
        other.dispose()
