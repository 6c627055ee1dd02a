"""The ledger prepared once for feature lookups, and the pairs asked about.

Everything here is a pure function of the in-memory ledger; the feature families
read it, never the database.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.timeline import NEVER, days
from ledger.contract import Ledger

# What a feature family hands back: one array (or categorical) per feature, per pair.
Columns = dict[str, np.ndarray | pd.Categorical]


@dataclass(frozen=True)
class PreparedLedger:
    """Ledger tables with integer client codes and whole-day dates.

    ``invoices`` holds invoices proper (credit notes carry no payment behaviour) with
    columns ``invoice_id, code, issue_day, due_day, paid_day, amount_cents, currency``;
    ``paid_day``
    is ``NEVER`` while open. ``payments`` holds the payments matched to those invoices,
    with ``row`` (position in ``invoices``), ``day`` and ``amount_cents``.
    """

    client_ids: pd.Index
    clients: pd.DataFrame
    invoices: pd.DataFrame
    payments: pd.DataFrame
    actions: pd.DataFrame
    invoice_ids: pd.Index

    def client_codes(self, client_ids: pd.Series) -> np.ndarray:
        """Codes of ``client_ids``; -1 for a client the ledger does not hold."""
        return self.client_ids.get_indexer(object_index(client_ids))

    def invoice_codes(self, invoice_ids: pd.Series) -> np.ndarray:
        """Positions of ``invoice_ids`` in ``invoices``; -1 for unknown or missing ids."""
        return self.invoice_ids.get_indexer(object_index(invoice_ids))


def object_index(values: pd.Series | np.ndarray) -> pd.Index:
    """An index of Python objects: lookups into it hash once, whatever the text dtype."""
    return pd.Index(np.asarray(values, dtype=object), dtype=object)


def _client_index(ledger: Ledger) -> pd.Index:
    ids = pd.concat([ledger.clients["client_id"], ledger.invoices["client_id"]]).astype(object)
    return object_index(pd.unique(ids.dropna().to_numpy()))


def prepare(ledger: Ledger) -> PreparedLedger:
    """The ledger arranged for fast, point-in-time lookups."""
    client_ids = _client_index(ledger)
    raw = ledger.invoices[ledger.invoices["doc_type"] == "invoice"]
    invoices = pd.DataFrame(
        {
            "invoice_id": raw["invoice_id"].astype(object).to_numpy(),
            "code": client_ids.get_indexer(object_index(raw["client_id"])),
            "issue_day": days(raw["issue_date"]),
            "due_day": days(raw["due_date"]),
            "paid_day": days(raw["paid_date"]),
            "amount_cents": raw["amount_cents"].astype("int64").to_numpy(),
            "currency": raw["currency"].astype(object).to_numpy(),
        }
    )
    invoice_ids = object_index(invoices["invoice_id"])
    pay = ledger.payments
    row = invoice_ids.get_indexer(object_index(pay["invoice_id"]))
    payments = pd.DataFrame(
        {
            "row": row,
            "day": days(pay["payment_date"]),
            "amount_cents": pay["amount_cents"].astype("int64").to_numpy(),
        }
    )
    payments = payments[payments["row"] >= 0].reset_index(drop=True)
    act = ledger.actions
    act_row = invoice_ids.get_indexer(object_index(act["invoice_id"]))
    known = act_row >= 0
    actions = pd.DataFrame(
        {
            "row": act_row[known],
            "day": days(act["action_date"])[known],
            "channel": act["channel"].astype(object).to_numpy()[known],
            "outcome": act["outcome"].astype(object).to_numpy()[known],
            "promised_day": days(act["promised_date"])[known],
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


@dataclass(frozen=True)
class Pairs:
    """The (invoice, as_of) pairs asked about, with codes and whole days."""

    invoices: pd.DataFrame
    code: np.ndarray
    invoice_code: np.ndarray
    t: np.ndarray

    @property
    def index(self) -> pd.Index:
        """The caller's index, kept on every feature frame."""
        return self.invoices.index


def make_pairs(prepared: PreparedLedger, invoices: pd.DataFrame, as_of: pd.Series) -> Pairs:
    """Pairs of ``invoices`` (stored or prospective) and their as-of dates."""
    invoice_ids = (
        invoices["invoice_id"]
        if "invoice_id" in invoices
        else pd.Series([None] * len(invoices), index=invoices.index)
    )
    t = days(as_of)
    if (t == NEVER).any():
        raise ValueError("every pair needs an as_of date")
    return Pairs(
        invoices=invoices,
        code=prepared.client_codes(invoices["client_id"]),
        invoice_code=prepared.invoice_codes(invoice_ids),
        t=t,
    )
