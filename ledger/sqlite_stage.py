"""Large writes to a SQLite file staged through Arrow: ADBC's SQLite driver writes the rows
into a file of their own, attached to the caller's connection, and one ``INSERT ...
SELECT`` copies them into the ledger inside the caller's transaction.

Binding Python values row by row (``executemany``) cost 26 s of CPU for the 3.0 M rows of a
million-invoice import, most of it in the driver's conversion of each value; ADBC binds
Arrow columns in C++ (2.4 s for 1.11 M invoices) and SQLite copies a table into another in
about 1 s. The stage is a separate file because ADBC opens a connection of its own: the
rows reach the ledger only through the caller's connection, so the import stays one
transaction (all or nothing) under the engine's lock bounds. SQLite refuses ``ATTACH``
inside a transaction: the stage is attached before the save begins and detached after it
ends (:func:`ledger.storage.save_ledger`), one file per large table, since a file read in
a transaction stays locked until it ends.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
from sqlalchemy import Connection

from ledger.driver import driver_connection, sqlite_file

STAGE_MIN_ROWS = 50_000
"""Rows of one table from which a write goes through the stage: below, ``executemany``
costs less than a file and a second connection."""
STAGED_TABLE = "staged_rows"


@dataclass
class SqliteStage:
    """Stage files attached to a SQLite connection, one schema per large table."""

    folder: Path
    writer: ThreadPoolExecutor
    """Where ADBC writes the stage files, one after the other, while the caller goes on:
    ADBC and SQLite work without Python's lock, so the copy overlaps the comparisons."""
    min_rows: int = STAGE_MIN_ROWS
    schemas: dict[str, str] = field(default_factory=dict)
    """Attached schema of each table that may be staged, by table name."""

    def takes(self, table: str, rows: int) -> bool:
        """Whether ``rows`` rows of ``table`` go through the stage."""
        return table in self.schemas and rows >= self.min_rows

    def fill(self, table: str, rows: pa.Table) -> Future[str]:
        """The qualified name of a staged table holding ``rows``, once ADBC has written
        them (in the background), for an ``INSERT ... SELECT`` on the attached connection."""
        return self.writer.submit(self._filled, table, rows)

    def _filled(self, table: str, rows: pa.Table) -> str:
        import adbc_driver_manager
        import adbc_driver_sqlite.dbapi as adbc

        path = self.folder / f"{table}.db"
        try:
            with adbc.connect(str(path), autocommit=True) as stage, stage.cursor() as cursor:
                cursor.execute("PRAGMA journal_mode=OFF")  # a scratch file: no journal
                cursor.execute("PRAGMA synchronous=OFF")
                cursor.adbc_ingest(STAGED_TABLE, rows, mode="replace")
        except adbc_driver_manager.Error as exc:  # read as the driver's own errors are
            raise sqlite3.OperationalError(f"could not stage the rows of {table}: {exc}") from exc
        return f'"{self.schemas[table]}".{STAGED_TABLE}'


@contextmanager
def sqlite_stage(
    connection: Connection, tables: list[str], min_rows: int = STAGE_MIN_ROWS
) -> Iterator[SqliteStage | None]:
    """A stage for ``tables`` (their writes of at least ``min_rows`` rows) attached to
    ``connection`` for the block, then detached and removed; None (write as usual) when
    there is nothing to stage, the database is not a SQLite file, or the connection is in
    a transaction already (``ATTACH`` is refused there)."""
    raw = driver_connection(connection) if sqlite_file(connection.engine.url) else None
    if not tables or raw is None or raw.in_transaction:
        yield None
        return
    stage = SqliteStage(
        Path(tempfile.mkdtemp(prefix="encours-stage-")),
        ThreadPoolExecutor(1, "encours-stage"),
        min_rows,
    )
    try:
        for n, table in enumerate(tables):
            schema = f"encours_stage_{n}"
            raw.execute(f"ATTACH DATABASE ? AS {schema}", (str(stage.folder / f"{table}.db"),))
            stage.schemas[table] = schema
        yield stage
    finally:
        stage.writer.shutdown(wait=True, cancel_futures=True)
        for schema in stage.schemas.values():
            raw.execute(f"DETACH DATABASE {schema}")
        shutil.rmtree(stage.folder, ignore_errors=True)
