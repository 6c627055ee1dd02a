"""The database driver's own connection under a SQLAlchemy one, for bulk work.

Bulk reads and writes (:mod:`ledger.bulk_reads`, :mod:`ledger.bulk_writes`) talk to the
driver directly (sqlite3's ``executemany``, psycopg's ``COPY``), inside the transaction
SQLAlchemy opened: the same connection, so the same snapshot, lock bounds and rollback.
Their errors come out as SQLAlchemy's, as if SQLAlchemy had run the statement, so that
:func:`ledger.storage.database_busy` and the API's problem handlers read them as usual.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pyarrow as pa
import pyarrow.csv as pcsv
from sqlalchemy import URL, Connection
from sqlalchemy.exc import DBAPIError


def sqlite_file(url: URL) -> bool:
    """Whether ``url`` names a SQLite database in a file (not in memory)."""
    database = url.database
    return (
        url.get_backend_name() == "sqlite"
        and database not in (None, "", ":memory:")
        and not str(database).startswith("file::memory")
    )


def driver_connection(connection: Connection) -> Any:
    """The sqlite3 or psycopg connection under ``connection`` (in its transaction)."""
    return connection.connection.driver_connection


@contextmanager
def sqlalchemy_errors(connection: Connection, statement: str) -> Iterator[None]:
    """Driver errors raised in the block re-raised as SQLAlchemy's (``OperationalError``,
    ``IntegrityError``...), naming ``statement`` and never its parameters."""
    dialect = connection.dialect
    base = dialect.loaded_dbapi.Error
    try:
        yield
    except base as exc:
        raise DBAPIError.instance(
            statement, None, exc, base, hide_parameters=True, dialect=dialect
        ) from exc


COPY_ROWS = 100_000  # rows written as CSV and sent at a time: bounded memory


def copy_in(connection: Connection, table: str, rows: pa.Table) -> None:
    """``rows`` appended to PostgreSQL's ``table`` (columns by name) with ``COPY``, as CSV
    that pyarrow writes: text always quoted, so that an empty string is not taken for a
    missing value (nothing between the commas)."""
    quote = connection.dialect.identifier_preparer.quote
    columns = ", ".join(quote(name) for name in rows.column_names)
    sql = f"COPY {table} ({columns}) FROM STDIN (FORMAT csv)"
    options = pcsv.WriteOptions(include_header=False)
    with (
        sqlalchemy_errors(connection, sql),
        driver_connection(connection).cursor() as cursor,
        cursor.copy(sql) as copy,
    ):
        for batch in rows.to_batches(COPY_ROWS):
            buffer = io.BytesIO()
            pcsv.write_csv(batch, buffer, options)
            copy.write(buffer.getbuffer())
