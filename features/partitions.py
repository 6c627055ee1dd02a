"""A ledger split by client, and the features of one part: what each Dask task runs.

Every client's rows (its clients row, invoices, the payments and actions of its invoices,
advances, unbilled, effets) go to the same part: the feature families read one client at
a time, so a part fitted with the whole ledger's :class:`~features.population.Population`
describes its invoices exactly as the whole ledger does. The part of a client is a hash
of its id: the same in every process and every run.
"""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pandas as pd

from features.pipeline import FeatureBuilder
from features.population import Population
from ledger.balances import open_amounts
from ledger.contract import Ledger

ID_COLUMNS = ("invoice_id", "client_id", "as_of")
"""The columns that say which invoice, seen when, lead every features frame."""


def client_parts(client_ids: pd.Series | np.ndarray, n: int) -> np.ndarray:
    """The part (0 to ``n - 1``) of each client id; missing ids go to part 0."""
    codes, distinct = pd.factorize(pd.Series(np.asarray(client_ids, dtype=object)))
    text = np.asarray(distinct, dtype=object).astype(str)
    hashed = (pd.util.hash_array(text) % np.uint64(n)).astype(np.int64)
    return np.append(hashed, 0)[codes]  # a missing id factorizes to -1: the 0 appended


def _invoice_clients(ledger: Ledger, invoice_ids: pd.Series) -> np.ndarray:
    """The client of the document each of ``invoice_ids`` names; None when none does."""
    docs = ledger.invoices.drop_duplicates("invoice_id")
    found = pd.Index(docs["invoice_id"]).get_indexer(pd.Index(invoice_ids.astype(object)))
    clients = np.append(docs["client_id"].to_numpy(dtype=object), [None])
    return clients[found]


def _owners(ledger: Ledger, name: str, frame: pd.DataFrame) -> np.ndarray:
    """The client whose part each row of table ``name`` belongs to: the client of the
    invoice it names, if any (a payment lettered to an invoice goes with the invoice),
    else its own client."""
    own = (
        frame["client_id"].to_numpy(dtype=object)
        if "client_id" in frame
        else np.full(len(frame), None, dtype=object)
    )
    if name == "invoices" or "invoice_id" not in frame:
        return own
    of_invoice = _invoice_clients(ledger, frame["invoice_id"])
    return np.where(pd.isna(of_invoice), own, of_invoice)


def split_by_client(ledger: Ledger, n: int) -> list[Ledger]:
    """``ledger`` in ``n`` parts, each client whole in one; rows keep their index labels
    and their order."""
    tables: dict[str, list[pd.DataFrame]] = {}
    for field in fields(Ledger):
        frame = getattr(ledger, field.name)
        part = client_parts(_owners(ledger, field.name, frame), n)
        order = np.argsort(part, kind="stable")
        bounds = np.searchsorted(part[order], np.arange(n + 1))
        tables[field.name] = [frame.take(order[bounds[i] : bounds[i + 1]]) for i in range(n)]
    return [Ledger(**{name: parts[i] for name, parts in tables.items()}) for i in range(n)]


def described_invoices(
    ledger: Ledger, as_of: pd.Timestamp | None
) -> tuple[pd.DataFrame, pd.Series | pd.Timestamp]:
    """The invoices to describe and when: without ``as_of``, every invoice (no credit note)
    at its issue date, as training sees them; with it, the invoices open at the end of
    ``as_of`` (not written off), as batch scoring sees them."""
    invoices = ledger.invoices
    if as_of is None:
        rows = invoices[invoices["doc_type"] == "invoice"]
        return rows, rows["issue_date"]
    docs = open_amounts(ledger, as_of.date())
    keep = (
        (docs["doc_type"] == "invoice")
        & (docs["open_cents"] > 0)
        & ~docs["written_off"].astype(bool)
    )
    return invoices.loc[docs.index[keep.to_numpy()]], as_of


def ledger_features(
    ledger: Ledger, as_of: pd.Timestamp | None, population: Population | None = None
) -> pd.DataFrame:
    """Features of :func:`described_invoices`, led by :data:`ID_COLUMNS`, indexed like
    ``ledger.invoices``: the pandas engine on a whole ledger, or one Dask task on a part of
    one (then ``population`` is the whole ledger's)."""
    builder = FeatureBuilder(population).fit(ledger)
    rows, seen = described_invoices(ledger, as_of)
    x = builder.transform(rows, seen)
    ids = pd.DataFrame(
        {
            "invoice_id": rows["invoice_id"].astype(object),
            "client_id": rows["client_id"].astype(object),
            "as_of": seen if isinstance(seen, pd.Series) else pd.Series(seen, index=rows.index),
        },
        index=rows.index,
    )
    ids["as_of"] = ids["as_of"].astype("datetime64[ns]")
    return pd.concat([ids, x], axis=1)
