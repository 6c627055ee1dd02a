"""The ledger in a database: migrations, atomic idempotent saves, loads into frames.

The same SQLAlchemy Core code runs on SQLite (the embedded default) and PostgreSQL; the
bulk of the rows goes through the driver in columns (:mod:`ledger.bulk_writes`,
:mod:`ledger.bulk_reads`), in the same transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout

from ledger.audit import Writer
from ledger.bulk_reads import arrow_rows, frame_of
from ledger.bulk_writes import TableChanges, apply_write, planned_write, staging_started
from ledger.client_ranges import ClientRange, part_invoices
from ledger.contract import TABLES, Ledger
from ledger.driver import sqlite_file
from ledger.schema import TABLE_OBJECTS
from ledger.sqlite_stage import STAGE_MIN_ROWS, SqliteStage, sqlite_stage
from ledger.versions import ledger_version, note_ledger_write

MIGRATIONS = Path(__file__).parent / "migrations"
# Parents before children, so foreign keys hold at every statement.
SAVE_ORDER = ("clients", "invoices", "payments", "advances", "unbilled", "actions", "effets")


@dataclass
class SaveSummary:
    """What a save did, table by table."""

    tables: dict[str, TableChanges] = field(default_factory=dict)

    @property
    def changed(self) -> int:
        """Rows inserted or updated in all tables."""
        return sum(t.inserted + t.updated for t in self.tables.values())


DEFAULT_LOCK_TIMEOUT_SECONDS = 3.0
# SQLSTATEs of a PostgreSQL statement that gave up on a lock or a conflict: worth a retry.
_PG_BUSY = {"55P03", "57014", "40P01", "40001"}  # lock_not_available, query_canceled, ...


def make_engine(
    url: str,
    lock_timeout_seconds: float = DEFAULT_LOCK_TIMEOUT_SECONDS,
    statement_timeout_seconds: float = 0.0,
) -> Engine:
    """An engine for ``url`` whose statements wait at most ``lock_timeout_seconds`` on a lock.

    A statement that waits longer fails with an ``OperationalError`` that
    :func:`database_busy` recognises, rather than stalling its caller: SQLite's busy
    timeout, PostgreSQL's ``lock_timeout`` (and ``statement_timeout`` when
    ``statement_timeout_seconds`` is above 0), and the wait for a pooled connection.
    SQLite files get their folder, enforce foreign keys and use write-ahead logging, so
    that readers never wait for a writer. Errors never show the statement's parameters
    (API key digests, client names): ``hide_parameters``.
    """
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    options: dict[str, Any] = {"hide_parameters": True}
    sqlite = parsed.get_backend_name() == "sqlite"
    file_database = sqlite_file(parsed)
    if sqlite:
        options["connect_args"] = {"timeout": lock_timeout_seconds}
    if file_database:
        Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
    if not sqlite or file_database:  # an in-memory SQLite has a single connection, no wait
        options["pool_timeout"] = lock_timeout_seconds
    if parsed.get_backend_name() == "postgresql":
        parsed = _postgres_timeouts(parsed, lock_timeout_seconds, statement_timeout_seconds)
    engine = create_engine(parsed, **options)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_setup if file_database else _sqlite_foreign_keys)
    return engine


def _postgres_timeouts(url: URL, lock_seconds: float, statement_seconds: float) -> URL:
    """``url`` with libpq options bounding lock waits (and statements), and connecting."""
    settings = [f"-c lock_timeout={max(1, round(lock_seconds * 1000))}"]
    if statement_seconds > 0:
        settings.append(f"-c statement_timeout={max(1, round(statement_seconds * 1000))}")
    given = url.query.get("options", ())
    query = {"options": " ".join([*((given,) if isinstance(given, str) else given), *settings])}
    if "connect_timeout" not in url.query:  # an unreachable host must not hang a request
        query["connect_timeout"] = str(max(2, round(lock_seconds)))
    return url.update_query_dict(query)


def _sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_setup(dbapi_connection: Any, record: Any) -> None:
    """Foreign keys on, and write-ahead logging (kept by the file once set).

    Switching to it needs the file to itself: under another program's lock the switch is
    left to a later connection rather than waited for (the statements wait, bounded).
    """
    _sqlite_foreign_keys(dbapi_connection, record)
    cursor = dbapi_connection.cursor()
    waits = cursor.execute("PRAGMA busy_timeout").fetchone()[0]
    cursor.execute("PRAGMA busy_timeout=0")
    try:
        cursor.execute("PRAGMA journal_mode=WAL")  # once set, a no-op even under a lock
    except sqlite3.OperationalError:
        pass
    finally:
        cursor.execute(f"PRAGMA busy_timeout={int(waits)}")
        cursor.close()


def database_busy(exc: BaseException) -> bool:
    """Whether ``exc`` says the database is busy (a lock held too long, a conflict): a
    retry later may succeed. Other database errors mean it is unreachable or failing."""
    if isinstance(exc, SQLAlchemyTimeout):  # no pooled connection free within the bound
        return True
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in _PG_BUSY:
        return True
    name = str(getattr(orig, "sqlite_errorname", ""))
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in str(orig)


def probe(engine: Engine, timeout_seconds: float) -> None:
    """Read a row of a real table (the migration's), waiting at most ``timeout_seconds``.

    ``SELECT 1`` would not do: on SQLite it reads no page of the file, so it answers even
    while another program holds the file locked.

    Raises:
        SQLAlchemyError: the database is busy (:func:`database_busy`) or unreachable.
    """
    with engine.connect() as connection, waiting_at_most(connection, timeout_seconds):
        if connection.dialect.name == "postgresql":  # ends with this transaction
            ms = max(1, round(timeout_seconds * 1000))
            connection.exec_driver_sql(f"SET LOCAL statement_timeout = {ms}")
        connection.execute(text("SELECT version_num FROM alembic_version LIMIT 1")).all()


@contextmanager
def waiting_at_most(connection: Connection, seconds: float) -> Iterator[None]:
    """The block's statements on ``connection`` wait at most ``seconds`` on a lock, for
    work that should rather give up than wait the engine's whole bound (a probe,
    bookkeeping): SQLite's busy timeout, restored after; PostgreSQL's ``lock_timeout``
    for the rest of the transaction."""
    ms = max(1, round(seconds * 1000))
    if connection.dialect.name != "sqlite":
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = {ms}")
        yield
        return
    waits = connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one()
    connection.exec_driver_sql(f"PRAGMA busy_timeout={ms}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA busy_timeout={int(waits)}")


def migrate(engine: Engine) -> None:
    """Bring the database schema to the latest migration (creates it on first use)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def save_ledger(
    engine: Engine, ledger: Ledger, stage_min_rows: int = STAGE_MIN_ROWS
) -> SaveSummary:
    """Insert new rows and update changed ones, all in one transaction (all or nothing).

    Saving the same ledger twice changes nothing the second time. The writes of at least
    ``stage_min_rows`` rows of one table into a SQLite file go through a stage
    (:mod:`ledger.sqlite_stage`), attached before the transaction begins.
    """
    tables = ledger.tables().items()
    large = [name for name, frame in tables if len(frame) >= stage_min_rows]
    with (
        engine.connect() as connection,
        sqlite_stage(connection, large, stage_min_rows) as stage,
        connection.begin(),
    ):
        return write_ledger(connection, ledger, stage=stage)


def write_ledger(
    connection: Connection,
    ledger: Ledger,
    writer: Writer | None = None,
    stage: SqliteStage | None = None,
) -> SaveSummary:
    """:func:`save_ledger` in the caller's transaction; the rows written carry ``writer``
    (``recorded_by``/``recorded_at``) where their table has room for it.

    A row written without a writer (an import) has those columns emptied: they say who
    wrote the row last.
    """
    summary = SaveSummary()
    tables = ledger.tables()
    writes = {}
    for name in SAVE_ORDER:  # all compared first: the stage copies while the next compares
        if not tables[name].empty:
            writes[name] = planned_write(connection, TABLES[name], tables[name])
            staging_started(writes[name], stage)
    for name, write in writes.items():  # parents before children
        apply_write(connection, write, writer)
        summary.tables[name] = write.changes
    note_ledger_write(connection, ledger, summary.changed)  # last: see ledger.versions
    return summary


def load_ledger(engine: Engine) -> Ledger:
    """The whole ledger read from the database into memory, as one snapshot.

    All tables are read in one transaction that sees the database as it was at the first
    read, so an import committed meanwhile is either wholly in the ledger or not at all
    (never a payment without its invoice): REPEATABLE READ on PostgreSQL; on SQLite an
    explicit ``BEGIN``, as the driver opens no transaction for reads, and write-ahead
    logging keeps the snapshot without blocking writers. (Reading the tables over two
    connections sharing a snapshot was tried: 12.4 s and 21.4 s of CPU against 11.0 s and
    12.3 s for 1.1 M invoices from SQLite, the threads contending for Python's lock.)
    """
    return load_ledger_part(engine, None)[0]


def load_ledger_part(
    engine: Engine, clients: ClientRange | None, tables: Collection[str] | None = None
) -> tuple[Ledger, int]:
    """The rows of the clients in ``clients`` (None: all of them) as one snapshot, as
    :func:`load_ledger` reads it, and the ledger's version in that snapshot (the parts of a
    ledger read apart are one ledger when they saw the same version); only the ``tables``
    named when given (the others empty)."""
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="REPEATABLE READ")
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN")
        version = ledger_version(connection) if clients is not None else 0
        if clients is not None and connection.dialect.name == "sqlite":
            quote = connection.dialect.identifier_preparer.quote
            for sql, bounds in part_invoices(clients, quote):
                connection.exec_driver_sql(sql, tuple(bounds))
        # Each table's rows become pandas objects in a thread while the database writes
        # the next table's (SQLite's printf and Arrow's parser leave Python's lock free).
        with ThreadPoolExecutor(max_workers=1) as pool:
            converting = {
                name: pool.submit(frame_of, spec, *arrow_rows(connection, spec, None, clients))
                for name, spec in TABLES.items()
                if tables is None or name in tables
            }
            frames = {name: future.result() for name, future in converting.items()}
    return Ledger(**frames), version


def known_ids(engine: Engine) -> tuple[set[str], set[str]]:
    """Client ids and invoice ids already in the database."""
    clients, invoices = TABLE_OBJECTS["clients"], TABLE_OBJECTS["invoices"]
    with engine.connect() as connection:
        client_ids = set(connection.execute(select(clients.c.client_id)).scalars())
        invoice_ids = set(connection.execute(select(invoices.c.invoice_id)).scalars())
    return client_ids, invoice_ids


def table_counts(engine: Engine) -> dict[str, int]:
    """Number of rows per table, for summaries and tests."""
    from sqlalchemy import func

    with engine.connect() as connection:
        return {
            name: int(connection.execute(select(func.count()).select_from(t)).scalar_one())
            for name, t in TABLE_OBJECTS.items()
        }
