"""A ledger split by client, and the features of one part: what each Dask task runs.

Every client's rows (its clients row, invoices, the payments and actions of its invoices,
advances, unbilled, effets) go to the same part: the feature families read one client at
a time, so a part fitted with the whole ledger's :class:`~features.population.Population`
describes its invoices exactly as the whole ledger does. The part of a client is a hash
of its id: the same in every process and every run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.pipeline import FeatureBuilder
from features.population import Population
from features.prepared import object_index, rows_of
from ledger.balances import open_amounts
from ledger.contract import Ledger

ID_COLUMNS = ("invoice_id", "client_id", "as_of")
"""The columns that say which invoice, seen when, lead every features frame."""


def client_parts(client_ids: pd.Series, n: int) -> np.ndarray:
    """The part (0 to ``n - 1``) of each client id; missing ids go to part 0."""
    codes, distinct = pd.factorize(client_ids)  # in the column's own dtype: quick for text
    text = np.asarray(distinct, dtype=object).astype(str)
    hashed = (pd.util.hash_array(text) % np.uint64(n)).astype(np.int64)
    return np.append(hashed, 0)[codes]  # a missing id factorizes to -1: the 0 appended


def _own_parts(frame: pd.DataFrame, n: int) -> np.ndarray:
    """The part of each row's own client (part 0 for a table without clients)."""
    if "client_id" not in frame:
        return np.zeros(len(frame), dtype=np.int64)
    return client_parts(frame["client_id"], n)


def _table_parts(ledger: Ledger, n: int) -> dict[str, np.ndarray]:
    """The part of each row of every table: an invoice's is its client's; another row goes
    with the document it names (a payment lettered to an invoice goes with the invoice),
    else with its own client."""
    tables = ledger.tables()
    invoice_parts = client_parts(ledger.invoices["client_id"], n)
    parts = {name: _own_parts(frame, n) for name, frame in tables.items() if name != "invoices"}
    naming = [name for name in parts if "invoice_id" in tables[name]]
    invoice_ids = object_index(ledger.invoices["invoice_id"])
    if naming and invoice_ids.is_unique:
        # One lookup of every table's ids: the invoice ids are hashed once.
        found = rows_of(invoice_ids, [tables[name]["invoice_id"] for name in naming])
        for name, row in zip(naming, found, strict=True):
            parts[name] = np.where(row >= 0, np.append(invoice_parts, 0)[row], parts[name])
    return parts | {"invoices": invoice_parts}


def split_by_client(ledger: Ledger, n: int) -> list[Ledger]:
    """``ledger`` in ``n`` parts, each client whole in one; rows keep their index labels
    and their order."""
    tables: dict[str, list[pd.DataFrame]] = {}
    for name, part in _table_parts(ledger, n).items():
        frame = getattr(ledger, name)
        order = np.argsort(part, kind="stable")
        bounds = np.searchsorted(part[order], np.arange(n + 1))
        tables[name] = [frame.take(order[bounds[i] : bounds[i + 1]]) for i in range(n)]
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
            "invoice_id": rows["invoice_id"].astype("str"),
            "client_id": rows["client_id"].astype("str"),
            "as_of": seen if isinstance(seen, pd.Series) else pd.Series(seen, index=rows.index),
        },
        index=rows.index,
    )
    ids["as_of"] = ids["as_of"].astype("datetime64[ns]")
    return pd.concat([ids, x], axis=1)
