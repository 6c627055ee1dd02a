"""Some clients' rows read from the database, and a ledger with those clients' rows replaced.

What a reader holding a copy of the ledger does when :mod:`ledger.versions` says a few
clients changed: read every row of those clients (their invoices, payments, actions on
their invoices…), then swap them into its copy, instead of reading the whole ledger again
(40 s for a million invoices from SQLite). Every row of a changed client is reread, so a
row updated or deleted is seen as well as a row added.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from ledger.bulk_reads import read_table
from ledger.contract import TABLES, Ledger, TableSpec, empty_frame
from ledger.schema import ROW_KEY, TABLE_OBJECTS

_CHUNK = 5_000


def _read_rows(engine: Engine, spec: TableSpec, client_ids: list[str]) -> pd.DataFrame:
    """The rows of ``spec``'s table that belong to ``client_ids``, as :func:`load_ledger`
    gives them (actions belong to their invoice's client): their keys found, then the
    rows read by key as a save reads them (:func:`ledger.bulk_reads.read_table`)."""
    table = TABLE_OBJECTS[spec.name]
    invoices = TABLE_OBJECTS["invoices"]
    key = table.c[spec.id_column or ROW_KEY]
    parts = []
    with engine.connect() as connection:
        for start in range(0, len(client_ids), _CHUNK):
            chunk = client_ids[start : start + _CHUNK]
            if "client_id" in table.c:
                where = table.c.client_id.in_(chunk)
            else:
                theirs = select(invoices.c.invoice_id).where(invoices.c.client_id.in_(chunk))
                where = table.c.invoice_id.in_(theirs)
            keys = [str(row[0]) for row in connection.execute(select(key).where(where))]
            if keys:
                parts.append(
                    read_table(connection, spec, keys).drop(columns=[ROW_KEY], errors="ignore")
                )
    return pd.concat(parts, ignore_index=True) if parts else empty_frame(spec)


def read_clients(engine: Engine, client_ids: Collection[str]) -> Ledger:
    """Every row of ``client_ids`` in every table of the ledger (a client gone from the
    database has none)."""
    listed = sorted(client_ids)
    return Ledger(**{name: _read_rows(engine, spec, listed) for name, spec in TABLES.items()})


def _owners(ledger: Ledger, name: str, frame: pd.DataFrame) -> pd.Series:
    """The client of each row of ``frame`` (table ``name`` of ``ledger``)."""
    if "client_id" in frame.columns:
        return frame["client_id"]
    by_invoice = ledger.invoices.set_index("invoice_id")["client_id"]
    return frame["invoice_id"].map(by_invoice)


def _like(new: pd.DataFrame, old: pd.DataFrame) -> pd.DataFrame:
    """``new`` with ``old``'s columns and types (a user column it lacks: all None)."""
    out = new.reindex(columns=old.columns)
    for column, dtype in old.dtypes.items():
        if column not in new.columns:
            out[column] = pd.Series([None] * len(out), index=out.index, dtype=object)
        elif out[column].dtype != dtype:
            out[column] = out[column].astype(dtype)
    return out


def _in_id_order(kept: pd.DataFrame, new: pd.DataFrame, id_column: str) -> pd.DataFrame:
    """``kept`` (in id order, as read) and ``new`` together in id order: the few new rows
    put in their places (sorting a million ids anew took 2–3 s of a refresh)."""
    new = new.sort_values(id_column, kind="stable")
    ids = kept[id_column]
    if not ids.is_monotonic_increasing:  # a database collation unlike Python's order
        both = pd.concat([kept, new], ignore_index=True)
        return both.sort_values(id_column, kind="stable", ignore_index=True)
    places = np.searchsorted(ids.to_numpy(), new[id_column].to_numpy())
    order = np.insert(np.arange(len(kept)), places, np.arange(len(kept), len(kept) + len(new)))
    return pd.concat([kept, new], ignore_index=True).take(order).reset_index(drop=True)


def with_clients_replaced(
    ledger: Ledger, fresh: Ledger, client_ids: Collection[str]
) -> Ledger | None:
    """``ledger`` whose rows of ``client_ids`` are those of ``fresh`` (every row of those
    clients, as :func:`read_clients` reads them); rows keep their id order where the table
    has ids. None when ``fresh`` brings a user column ``ledger`` lacks: read it all anew.
    """
    ids = pd.Index(sorted(client_ids), dtype=object)
    out: dict[str, pd.DataFrame] = {}
    for name, spec in TABLES.items():
        old, new = getattr(ledger, name), getattr(fresh, name)
        if not set(new.columns) <= set(old.columns):
            return None
        drop = _owners(ledger, name, old).isin(ids)
        if name == "actions":  # an invoice moved to a changed client takes its actions along
            drop |= _owners(fresh, name, old).isin(ids)
        if spec.id_column is not None:
            drop |= old[spec.id_column].isin(new[spec.id_column])
        kept = old[~drop.to_numpy()]
        if new.empty:
            out[name] = kept.reset_index(drop=True)
        elif spec.id_column is None:
            out[name] = pd.concat([kept, _like(new, old)], ignore_index=True)
        else:
            out[name] = _in_id_order(kept, _like(new, old), spec.id_column)
    return Ledger(**out)


def client_ledger(ledger: Ledger, client_id: str) -> Ledger:
    """The rows of ``client_id`` alone: its client row, invoices, advances, unbilled and
    effets, the payments it made or that are matched to its invoices, the actions on its
    invoices. Its documents' open amounts at any date are the whole ledger's (each rests
    on its own payments), for a fraction of the work on a large ledger."""
    invoices = ledger.invoices[ledger.invoices["client_id"] == client_id]
    ids = pd.Index(invoices["invoice_id"], dtype=object)
    payments = ledger.payments
    mine = (payments["client_id"] == client_id) | payments["invoice_id"].isin(ids)

    def own(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[frame["client_id"] == client_id]

    return Ledger(
        clients=own(ledger.clients),
        invoices=invoices,
        payments=payments[mine],
        advances=own(ledger.advances),
        unbilled=own(ledger.unbilled),
        actions=ledger.actions[ledger.actions["invoice_id"].isin(ids)],
        effets=own(ledger.effets),
    )
