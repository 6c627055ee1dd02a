"""The ledger cut into parts by ranges of client ids, each part read on its own.

What a Dask worker reads instead of the whole ledger (10 million invoices do not fit in
one process beside their parts): the clients are ordered by id in the database's own
order and cut into ranges of about as many clients each, so a part is a ``WHERE`` on the
client id and clients never straddle parts.

A row belongs to a part as :func:`features.partitions.split_by_client` places it: an
invoice with its client; a row naming an invoice that exists (a payment lettered to it,
an action on it) with that invoice's client, whatever client the row names itself; any
other row with its own client. A row of no client (an action on an unknown invoice) goes
to the first part.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, select

from ledger.contract import TableSpec
from ledger.schema import TABLE_OBJECTS


@dataclass(frozen=True)
class ClientRange:
    """The clients whose id is at least ``low`` and below ``high`` (in the database's
    order); ``low`` None: from the first, with the rows of no client; ``high`` None: to
    the last."""

    low: str | None
    high: str | None


def client_ranges(engine: Engine, parts: int) -> list[ClientRange]:
    """``parts`` ranges (fewer when there are fewer clients) that together hold every
    client, each about as many clients as the next."""
    clients = TABLE_OBJECTS["clients"]
    with engine.connect() as connection:
        ordered = select(clients.c.client_id).order_by(clients.c.client_id)
        ids = [str(value) for value in connection.execute(ordered).scalars()]
    step = max(1, -(-len(ids) // max(1, parts)))
    starts = ids[step::step]  # the first id of every range but the first
    bounds: list[str | None] = [None, *starts, None]
    return [ClientRange(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]


PART_INVOICES = "encours_part_invoices"
"""SQLite's temporary table of the ids of one part's invoices (:func:`part_invoices`)."""


def _within(column: str, clients: ClientRange, placeholder: str) -> tuple[str, list[str]]:
    """The condition that ``column`` holds a client of ``clients``, and its parameters."""
    low = [] if clients.low is None else [f"{column} >= {placeholder}"]
    high = [] if clients.high is None else [f"{column} < {placeholder}"]
    if clients.low is None and high:
        high = [f"({high[0]} OR {column} IS NULL)"]
    bounds = [b for b in (clients.low, clients.high) if b is not None]
    return " AND ".join([*low, *high]) or "1 = 1", bounds


def part_invoices(clients: ClientRange, quote: Callable[[str], str]) -> list[tuple[str, list[str]]]:
    """The statements that put the ids of the invoices of ``clients`` in SQLite's temporary
    table :data:`PART_INVOICES` (emptied first): what a scan of a table naming invoices
    looks each row up in (:func:`part_sources` with ``scan``)."""
    where, bounds = _within(f"t.{quote('client_id')}", clients, "?")
    return [
        (
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {PART_INVOICES} "
            "(invoice_id TEXT PRIMARY KEY) WITHOUT ROWID",
            [],
        ),
        (f"DELETE FROM {PART_INVOICES}", []),
        (
            f"INSERT INTO {PART_INVOICES} SELECT t.{quote('invoice_id')} "
            f"FROM {quote('invoices')} AS t NOT INDEXED WHERE {where}",
            bounds,
        ),
    ]


def part_sources(
    spec: TableSpec,
    clients: ClientRange,
    quote: Callable[[str], str],
    placeholder: str,
    scan: bool = False,
) -> list[tuple[str, list[str]]]:
    """Where the rows of ``spec``'s table that belong to ``clients`` are, as ``FROM``
    clauses naming the table ``t`` (each with its parameters), to be read one after the
    other.

    By default each is led by an index on a client id (PostgreSQL's planner joins as it
    sees fit). With ``scan`` (SQLite), one pass over the whole table in its own order
    instead, a row naming an invoice looked up in :data:`PART_INVOICES`
    (:func:`part_invoices` first): fetching rows one by one through an index cost SQLite
    8-18 µs a row, against 3-4 µs for the whole table read in order.
    """
    table, invoices = quote(spec.name), quote("invoices")
    client, invoice = quote("client_id"), quote("invoice_id")
    names = set(spec.column_names)
    scanned = f"{table} AS t NOT INDEXED" if scan else f"{table} AS t"
    if "invoice_id" not in names or spec.name == "invoices":
        if "client_id" not in names:  # a row of no client: the first part's
            return [(scanned, [])] if clients.low is None else []
        where, bounds = _within(f"t.{client}", clients, placeholder)
        return [(f"{scanned} WHERE {where}", bounds)]
    column = TABLE_OBJECTS[spec.name].c.invoice_id
    unknown = f"NOT EXISTS (SELECT 1 FROM {invoices} AS n WHERE n.{invoice} = t.{invoice})"
    alone = f"t.{invoice} IS NULL" if column.foreign_keys else f"(t.{invoice} IS NULL OR {unknown})"
    own, own_bounds = _within(f"t.{client}", clients, placeholder)
    if "client_id" not in names:  # a row of no client: the first part's
        own, own_bounds = ("1 = 1" if clients.low is None else "1 = 0"), []
    named_only = bool(column.foreign_keys) and not column.nullable  # every row names one
    if scan:
        mine = f"t.{invoice} IN {PART_INVOICES}"
        if named_only:
            return [(f"{scanned} WHERE {mine}", [])]
        return [(f"{scanned} WHERE {mine} OR ({own} AND {alone})", own_bounds)]
    where, bounds = _within(f"i.{client}", clients, placeholder)
    sources = [
        (f"{invoices} AS i JOIN {table} AS t ON t.{invoice} = i.{invoice} WHERE {where}", bounds)
    ]
    if named_only:
        return sources
    return [*sources, (f"{table} AS t WHERE {own} AND {alone}", own_bounds)]
