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


def part_sources(
    spec: TableSpec, clients: ClientRange, quote: Callable[[str], str], placeholder: str
) -> list[tuple[str, list[str]]]:
    """Where the rows of ``spec``'s table that belong to ``clients`` are, as ``FROM``
    clauses naming the table ``t`` (each with its parameters), to be read one after the
    other: each is led by an index on a client id, so that every part reads its own rows
    and not the whole table."""
    table, invoices = quote(spec.name), quote("invoices")
    client, invoice = quote("client_id"), quote("invoice_id")
    names = set(spec.column_names)

    def within(column: str) -> tuple[str, list[str]]:
        low = [] if clients.low is None else [f"{column} >= {placeholder}"]
        high = [] if clients.high is None else [f"{column} < {placeholder}"]
        if clients.low is None and high:
            high = [f"({high[0]} OR {column} IS NULL)"]
        bounds = [b for b in (clients.low, clients.high) if b is not None]
        return " AND ".join([*low, *high]) or "1 = 1", bounds

    if "invoice_id" not in names or spec.name == "invoices":
        if "client_id" not in names:  # a row of no client: the first part's
            return [(f"{table} AS t", [])] if clients.low is None else []
        where, bounds = within(f"t.{client}")
        return [(f"{table} AS t WHERE {where}", bounds)]
    where, bounds = within(f"i.{client}")
    sources = [
        (f"{invoices} AS i JOIN {table} AS t ON t.{invoice} = i.{invoice} WHERE {where}", bounds)
    ]
    column = TABLE_OBJECTS[spec.name].c.invoice_id
    if column.foreign_keys and not column.nullable:
        return sources  # every row names a stored invoice
    unknown = f"NOT EXISTS (SELECT 1 FROM {invoices} AS n WHERE n.{invoice} = t.{invoice})"
    alone = f"t.{invoice} IS NULL" if column.foreign_keys else f"(t.{invoice} IS NULL OR {unknown})"
    if "client_id" not in names:
        return [*sources, (f"{table} AS t WHERE {alone}", [])] if clients.low is None else sources
    where, bounds = within(f"t.{client}")
    return [*sources, (f"{table} AS t WHERE {where} AND {alone}", bounds)]
