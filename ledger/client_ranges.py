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


def owner_filter(
    spec: TableSpec,
    clients: ClientRange | None,
    quote: Callable[[str], str],
    placeholder: str,
) -> tuple[str, str, list[str]]:
    """What to add to a ``SELECT ... FROM <table> AS t`` so that it keeps the rows of
    ``clients`` alone: a join (to find the client of the invoice a row names), a condition
    starting ``AND``, and its parameters. Nothing to add when ``clients`` is None."""
    if clients is None:
        return "", "", []
    names = set(spec.column_names)
    join = ""
    own = f"t.{quote('client_id')}" if "client_id" in names else "NULL"
    if "invoice_id" in names and spec.name != "invoices":
        invoice = quote("invoice_id")
        join = f" LEFT JOIN {quote('invoices')} AS i ON i.{invoice} = t.{invoice}"
        owner = f"COALESCE(i.{quote('client_id')}, {own})"
    else:
        owner = own
    conditions, bounds = [], []
    if clients.low is not None:
        conditions.append(f"{owner} >= {placeholder}")
        bounds.append(clients.low)
    if clients.high is not None:
        below = f"{owner} < {placeholder}"
        conditions.append(below if clients.low is not None else f"({below} OR {owner} IS NULL)")
        bounds.append(clients.high)
    return join, "".join(f" AND {c}" for c in conditions), bounds
