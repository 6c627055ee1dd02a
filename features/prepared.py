"""The ledger prepared once for feature lookups, and the pairs asked about.

Everything here is a pure function of the in-memory ledger; the feature families
read it, never the database.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features.timeline import BATCH, query_order
from ledger.contract import Ledger
from ledger.days import NEVER, day_numbers

_FEW = 128
"""Lookups of fewer values go one by one: a few µs each against ~0.1 ms to index the values
first (64 values: 113 against 144 µs; even at about 250 values, on 1M invoice ids)."""

# What a feature family hands back: one array (or categorical) per feature, per pair.
Columns = dict[str, np.ndarray | pd.Categorical]


@dataclass(frozen=True)
class PreparedLedger:
    """Ledger tables with integer client codes and whole-day dates.

    ``invoices`` holds invoices proper (credit notes carry no payment behaviour) with
    columns ``invoice_id, code, issue_day, due_day, paid_day, amount_cents, currency,
    disputed``; ``paid_day`` is ``NEVER`` while open. ``payments`` holds the payments
    matched to those invoices, with ``row`` (position in ``invoices``), ``day`` and
    ``amount_cents``.
    """

    client_ids: pd.Index
    clients: pd.DataFrame
    invoices: pd.DataFrame
    payments: pd.DataFrame
    actions: pd.DataFrame
    invoice_ids: pd.Index

    def client_codes(self, client_ids: pd.Series | np.ndarray) -> np.ndarray:
        """Codes of ``client_ids``; -1 for a client the ledger does not hold."""
        return _lookup_repeated(self.client_ids, client_ids)

    def invoice_codes(self, invoice_ids: pd.Series | np.ndarray) -> np.ndarray:
        """Positions of ``invoice_ids`` in ``invoices``; -1 for unknown or missing ids."""
        return _lookup(self.invoice_ids, invoice_ids)


def object_index(values: pd.Series | pd.Index | np.ndarray) -> pd.Index:
    """An index of Python objects: lookups into it hash once, whatever the text dtype."""
    return pd.Index(np.asarray(values, dtype=object), dtype=object)


def _lookup(index: pd.Index, values: pd.Series | np.ndarray) -> np.ndarray:
    """``index.get_indexer(values)`` (``index`` unique); a few values (online) one by one.

    Looking up one value with ``get_loc`` takes microseconds, building the Index of the
    values for ``get_indexer`` most of a millisecond.
    """
    if len(values) >= _FEW:
        return index.get_indexer(object_index(values))
    found = np.full(len(values), -1, dtype=np.int64)
    for i, value in enumerate(np.asarray(values, dtype=object)):
        with contextlib.suppress(KeyError):
            found[i] = cast(int, index.get_loc(value))  # a position: the index is unique
    return found


def _lookup_repeated(index: pd.Index, values: pd.Series | np.ndarray) -> np.ndarray:
    """``index.get_indexer(values)`` for values repeated many times (client ids).

    A large batch is factorized in its own dtype (quick for Arrow text) and each distinct
    value looked up once; factorizing and the index hash values alike.
    """
    if len(values) < BATCH:
        return _lookup(index, values)
    positions, distinct = pd.factorize(values)
    found = np.append(index.get_indexer(object_index(distinct)), -1)
    return found[positions]  # a missing value factorizes to -1: not found


def _text(values: pd.Series) -> pa.Array | pa.ChunkedArray | None:
    """``values`` as Arrow text, or None unless every value present is a ``str``."""
    if pd.api.types.infer_dtype(values, skipna=True) != "string":
        return None
    return pa.array(values, type=pa.large_string(), from_pandas=True)


def rows_of(invoice_ids: pd.Index, id_columns: list[pd.Series]) -> list[np.ndarray]:
    """Positions in ``invoice_ids`` (unique) of each column's ids; -1 for unknown or missing.

    Payments and actions come in date order, so the index's hash table would be read at
    random: when every id is text, Arrow's ``index_in`` does the same lookups about three
    times as fast. ``invoice_ids.is_unique`` builds the table that ``make_pairs`` reads.
    """
    if not invoice_ids.is_unique:
        return [invoice_ids.get_indexer(object_index(ids)) for ids in id_columns]  # raises
    value_set = _text(pd.Series(invoice_ids, dtype=object))
    columns = [_text(ids) for ids in id_columns]
    if value_set is None or any(c is None for c in columns):
        return [invoice_ids.get_indexer(object_index(ids)) for ids in id_columns]
    found = pc.index_in(
        pa.chunked_array([c for column in columns for c in _chunks(column)]),
        value_set=value_set,
        skip_nulls=True,
    )
    rows = found.fill_null(-1).to_numpy().astype(np.int64)
    return np.split(rows, np.cumsum([len(ids) for ids in id_columns])[:-1])


def _chunks(values: pa.Array | pa.ChunkedArray | None) -> list[pa.Array]:
    """The arrays that make up ``values``."""
    if isinstance(values, pa.ChunkedArray):
        return list(values.chunks)
    return [] if values is None else [values]


def _client_index(ledger: Ledger) -> pd.Index:
    # The distinct billed clients first, in their own dtype (quicker than 1M objects):
    # the same values in the same order of first appearance as from the whole column.
    billed = np.asarray(ledger.invoices["client_id"].dropna().unique(), dtype=object)
    ids = np.concatenate([np.asarray(ledger.clients["client_id"], dtype=object), billed])
    return object_index(pd.unique(pd.Series(ids, dtype=object).dropna().to_numpy()))


def prepare(ledger: Ledger) -> PreparedLedger:
    """The ledger arranged for fast, point-in-time lookups."""
    client_ids = _client_index(ledger)
    raw = ledger.invoices[ledger.invoices["doc_type"] == "invoice"]
    invoices = pd.DataFrame(
        {
            "invoice_id": raw["invoice_id"].array,
            "code": _lookup_repeated(client_ids, raw["client_id"]),
            "issue_day": day_numbers(raw["issue_date"]),
            "due_day": day_numbers(raw["due_date"]),
            "paid_day": day_numbers(raw["paid_date"]),
            "amount_cents": raw["amount_cents"].astype("int64").to_numpy(),
            "currency": raw["currency"].array,
            "disputed": raw["disputed"].fillna(False).to_numpy(dtype=bool),
        }
    )
    invoice_ids = object_index(invoices["invoice_id"])
    pay = ledger.payments
    act = ledger.actions
    row, act_row = rows_of(invoice_ids, [pay["invoice_id"], act["invoice_id"]])
    payments = pd.DataFrame(
        {
            "row": row,
            "day": day_numbers(pay["payment_date"]),
            "amount_cents": pay["amount_cents"].astype("int64").to_numpy(),
        }
    )
    payments = payments[payments["row"] >= 0].reset_index(drop=True)
    known = act_row >= 0
    actions = pd.DataFrame(
        {
            "row": act_row[known],
            "day": day_numbers(act["action_date"])[known],
            "channel": act["channel"].astype(object).to_numpy()[known],
            "outcome": act["outcome"].astype(object).to_numpy()[known],
            "promised_day": day_numbers(act["promised_date"])[known],
        }
    )
    unique_clients = ledger.clients.drop_duplicates("client_id")
    clients = unique_clients.set_index(object_index(unique_clients["client_id"]))
    return PreparedLedger(
        client_ids=client_ids,
        clients=clients.reindex(client_ids),
        invoices=invoices,
        payments=payments,
        actions=actions,
        invoice_ids=invoice_ids,
    )


Invoices = pd.DataFrame | Mapping[str, np.ndarray]
"""Invoices to describe: a frame of the ledger's in-memory form, or the same columns as
numpy arrays (a request's few invoices online: no frame to build, a tenth of a ms)."""


def invoice_count(invoices: Invoices) -> int:
    """How many invoices ``invoices`` holds (a mapping's length counts its columns)."""
    if isinstance(invoices, pd.DataFrame):
        return len(invoices)
    return len(invoices["client_id"])


@dataclass(frozen=True)
class Pairs:
    """The (invoice, as_of) pairs asked about, with codes and whole days.

    ``invoices[name]`` is a column of the invoices, a Series or an array: the families
    read it with ``np.asarray``.
    """

    invoices: Invoices
    code: np.ndarray
    invoice_code: np.ndarray
    t: np.ndarray
    # Sorts the (client, as_of) queries of a large batch (see ``Timeline.positions``).
    order: np.ndarray | None = None

    @property
    def size(self) -> int:
        """How many pairs there are."""
        return len(self.t)


def make_pairs(
    prepared: PreparedLedger, invoices: Invoices, as_of: pd.Series | np.ndarray
) -> Pairs:
    """Pairs of ``invoices`` (stored or prospective) and their as-of dates."""
    n = invoice_count(invoices)
    invoice_ids = invoices["invoice_id"] if "invoice_id" in invoices else np.full(n, None)
    t = day_numbers(as_of)
    if (t == NEVER).any():
        raise ValueError("every pair needs an as_of date")
    code = prepared.client_codes(invoices["client_id"])
    return Pairs(
        invoices=invoices,
        code=code,
        invoice_code=prepared.invoice_codes(invoice_ids),
        t=t,
        order=query_order(code, t),
    )
