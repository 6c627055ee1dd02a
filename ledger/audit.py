"""Who wrote what: the writer of a change, stamped on its rows, and the audit log.

A :class:`Writer` says who writes (an API key and its role), through what (method and route
template) and when. The functions that write the ledger for the API take one: they stamp
``recorded_by``/``recorded_at`` on the rows they write and add an :data:`AUDIT_LOG` entry
in the same transaction, so there is no write without its entry, nor the reverse.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select

from ledger.schema import AUDIT_LOG, RECORDED_AT, RECORDED_BY

MAX_IDS = 100
"""Ids kept in an entry at most; the rows themselves carry their writer and time."""


@dataclass(frozen=True)
class Writer:
    """Who writes (``key_id``, ``role``; None outside the API), through what, and when."""

    key_id: int | None
    role: str | None
    method: str
    route: str
    at: dt.datetime

    @property
    def stamp(self) -> dict[str, Any]:
        """The ``recorded_by``/``recorded_at`` values of the rows this writer writes."""
        return {RECORDED_BY: self.key_id, RECORDED_AT: self.at}


@dataclass(frozen=True)
class AuditEntry:
    """One entry of the audit log."""

    id: int
    at: dt.datetime
    key_id: int | None
    role: str | None
    method: str
    route: str
    summary: str
    ids: list[str]


def record_write(
    connection: Connection, writer: Writer, summary: str, ids: Iterable[object] = ()
) -> None:
    """Add the entry of a write to the audit log, in the caller's transaction.

    ``ids`` are the rows written; the first :data:`MAX_IDS` are kept, and the summary says
    how many there were beyond.
    """
    kept = [str(i) for i in ids]
    if len(kept) > MAX_IDS:
        summary += f" (ids: the first {MAX_IDS} of {len(kept)})"
        kept = kept[:MAX_IDS]
    connection.execute(
        insert(AUDIT_LOG).values(
            at=writer.at,
            key_id=writer.key_id,
            role=writer.role,
            method=writer.method,
            route=writer.route,
            summary=summary,
            ids=kept,
        )
    )


def _utc(moment: dt.datetime) -> dt.datetime:
    """``moment`` in UTC; a naive one is taken as UTC (SQLite hands back naive datetimes,
    and stores what it is given without its offset: compare in UTC only)."""
    return moment.astimezone(dt.UTC) if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def read_audit(
    engine: Engine,
    *,
    key_id: int | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[AuditEntry]]:
    """Entries of the audit log, newest first, and how many match in all.

    Args:
        key_id: only this key's entries.
        since: only entries at or after this time (UTC when naive).
        until: only entries before this time (UTC when naive).
        limit: entries returned at most.
        offset: matching entries skipped first (the newest).
    """
    log = AUDIT_LOG
    where = []
    if key_id is not None:
        where.append(log.c.key_id == key_id)
    if since is not None:
        where.append(log.c.at >= _utc(since))
    if until is not None:
        where.append(log.c.at < _utc(until))
    query = select(log).where(*where).order_by(log.c.at.desc(), log.c.id.desc())
    with engine.connect() as connection:
        total = connection.execute(select(func.count()).select_from(log).where(*where)).scalar()
        rows = connection.execute(query.limit(limit).offset(offset)).all()
    entries = [
        AuditEntry(
            id=row.id,
            at=_utc(row.at),
            key_id=row.key_id,
            role=row.role,
            method=row.method,
            route=row.route,
            summary=row.summary,
            ids=list(row.ids or []),
        )
        for row in rows
    ]
    return int(total or 0), entries
