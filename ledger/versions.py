"""The ledger's version: one number in the database, raised by every write to the ledger.

A reader that holds a copy of the ledger (the API's snapshot) asks for this number, a
one-row read, instead of rereading a million invoices to learn that nothing changed; when
it did change, ``ledger_changes`` says which clients each version touched, so that the
reader rereads those clients' rows alone (:mod:`ledger.client_rows`).

Every path that writes ledger rows calls :func:`note_ledger_write` (or
:func:`bump_version`) last in its transaction: the version row is locked from there to the
commit, so concurrent writers take their numbers in the order they commit and a reader
never sees version *n* + 1 while *n* is still uncommitted. Done last, the lock is held
for the commit alone, not for the whole of a long import.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd
from sqlalchemy import Connection, Engine, insert, select, update

from ledger.contract import Ledger
from ledger.schema import LEDGER_CHANGES, LEDGER_VERSION, TABLE_OBJECTS

MAX_LISTED_CLIENTS = 2_000
"""Beyond this many clients a write is noted as touching any client: a reader then
rereads the whole ledger, about as fast as rereading that many clients one list at a time."""
_CHUNK = 5_000


def ledger_version(source: Engine | Connection) -> int:
    """The ledger's version now (0 for a ledger never written since the migration)."""
    query = select(LEDGER_VERSION.c.version).where(LEDGER_VERSION.c.id == 1)
    if isinstance(source, Connection):
        return int(source.execute(query).scalar() or 0)
    with source.connect() as connection:
        return int(connection.execute(query).scalar() or 0)


def bump_version(connection: Connection, client_ids: Iterable[str] | None) -> int:
    """Raise the ledger's version in the caller's transaction, noting the clients whose rows
    changed (None, or more than :data:`MAX_LISTED_CLIENTS`: any); the new version."""
    raised = connection.execute(
        update(LEDGER_VERSION)
        .where(LEDGER_VERSION.c.id == 1)
        .values(version=LEDGER_VERSION.c.version + 1)
    )
    if raised.rowcount == 0:  # a database whose row went missing: start it again
        connection.execute(insert(LEDGER_VERSION).values(id=1, version=1))
    version = ledger_version(connection)
    listed = None if client_ids is None else sorted({str(c) for c in client_ids})
    if listed is not None and len(listed) > MAX_LISTED_CLIENTS:
        listed = None
    connection.execute(
        insert(LEDGER_CHANGES).values(
            version=version, at=dt.datetime.now(dt.UTC), client_ids=listed
        )
    )
    return version


def note_ledger_write(connection: Connection, written: Ledger, changed_rows: int) -> None:
    """Raise the version for a save of ``written`` that changed ``changed_rows`` rows (none:
    nothing to note, as an import of the same file twice), naming the clients it touched."""
    if changed_rows > 0:
        bump_version(connection, clients_of(connection, written))


def note_clients_written(connection: Connection, client_ids: Iterable[str]) -> None:
    """Raise the version for rows written of ``client_ids`` (none given: nothing written)."""
    listed = [str(c) for c in client_ids]
    if listed:
        bump_version(connection, listed)


def clients_of(connection: Connection, written: Ledger) -> set[str] | None:
    """The clients whose rows ``written`` holds: its ``client_id`` columns, and the clients
    of its actions' invoices (read in the caller's transaction, which has written them)."""
    found: set[str] = set()
    for frame in written.tables().values():
        if "client_id" in frame.columns:
            found.update(frame["client_id"].dropna().astype(str))
        if len(found) > MAX_LISTED_CLIENTS:
            return None
    invoice_ids = written.actions["invoice_id"].dropna().astype(str).unique().tolist()
    invoices = TABLE_OBJECTS["invoices"]
    for start in range(0, len(invoice_ids), _CHUNK):
        chunk = invoice_ids[start : start + _CHUNK]
        query = select(invoices.c.client_id).where(invoices.c.invoice_id.in_(chunk))
        found.update(str(c) for c in connection.execute(query).scalars())
    return found


def changed_clients(engine: Engine, since: int, until: int) -> frozenset[str] | None:
    """The clients whose rows changed after version ``since`` up to ``until``; None when
    that is not known client by client (a write noted as touching any client, a version
    not logged, ``since`` ahead of ``until``): then everything may have changed."""
    if since > until:
        return None
    query = select(LEDGER_CHANGES.c.client_ids).where(
        LEDGER_CHANGES.c.version > since, LEDGER_CHANGES.c.version <= until
    )
    with engine.connect() as connection:
        rows = connection.execute(query).scalars().all()
    if len(rows) != until - since or any(row is None for row in rows):
        return None
    return frozenset(str(c) for row in rows for c in row)


def client_ids_of(frame: pd.DataFrame) -> list[str]:
    """The distinct client ids of ``frame``'s ``client_id`` column (none without one)."""
    if "client_id" not in frame.columns:
        return []
    return frame["client_id"].dropna().astype(str).unique().tolist()
