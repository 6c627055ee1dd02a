"""What lettrage matches: the open invoices (the book), the bank lines read, the subsets
of invoices an amount may settle.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import pandas as pd

from ledger.contract import DEFAULT_CURRENCY, Ledger
from ledger.days import day_numbers
from ledger.kpis import open_amounts
from ledger.lettrage.rules import SEPA_LABEL_WIDTH, IndexArray, IntArray, LettrageConfig
from ledger.lettrage.text import _LEADING_ZEROS, _NOT_DIGITS, _NameIndex, label_name, label_numbers

# --- open invoices -------------------------------------------------------------------


def open_items(ledger: Ledger, as_of: date) -> pd.DataFrame:
    """The invoices open at ``as_of``, net of the open credit notes that credit them.

    Columns ``invoice_id, client_id, currency, issue_date, due_date, open_cents``, only
    invoices with something left to pay. A client pays an invoice less its credit notes:
    the amount to recognise is the net one. Credit notes naming no invoice are left out.
    """
    frame = open_amounts(ledger, as_of)
    notes = frame[frame["doc_type"] == "credit_note"]
    credited = ledger.invoices.set_index("invoice_id")["credited_invoice_id"]
    target = notes["invoice_id"].map(credited)
    credits = notes["open_cents"].groupby(target.to_numpy()).sum()
    invoices = frame[frame["doc_type"] == "invoice"]
    net = invoices["open_cents"] + invoices["invoice_id"].map(credits).fillna(0).astype("int64")
    out = invoices.assign(open_cents=net.astype("int64"))[net > 0]
    columns = ["invoice_id", "client_id", "currency", "issue_date", "due_date", "open_cents"]
    return out[columns].reset_index(drop=True)


@dataclass
class _Book:
    """Open invoices as arrays, with the indexes the rules look up.

    ``capacity`` is what is still unallocated of each invoice; rules decrement it.
    """

    invoice_id: npt.NDArray[np.object_]
    client_id: npt.NDArray[np.object_]
    currency: IntArray  # codes of ``currencies``
    currencies: dict[str, int]
    issue_day: IntArray
    due_day: IntArray
    open_cents: IntArray
    capacity: IntArray
    lettered: npt.NDArray[np.bool_]  # part of it was matched by an earlier lettrage
    digits: list[str]  # every digit of the number, padding kept: for typos
    by_key: dict[str, int]
    by_shared_key: dict[str, list[int]]
    by_client: dict[str, IndexArray]
    _client_sets: dict[tuple[str, ...], IndexArray] = field(default_factory=dict)

    def rows_of_key(self, key: str) -> list[int]:
        """Rows whose invoice number has this key."""
        row = self.by_key.get(key)
        return [row] if row is not None else self.by_shared_key.get(key, [])

    def rows_of_clients(self, clients: tuple[str, ...]) -> IndexArray:
        """Rows of the clients' open invoices, oldest due date first."""
        if len(clients) == 1:
            return self.by_client.get(clients[0], np.empty(0, dtype=np.intp))
        rows = self._client_sets.get(clients)
        if rows is None:
            parts = [self.by_client[c] for c in clients if c in self.by_client]
            rows = np.concatenate(parts) if parts else np.empty(0, dtype=np.intp)
            rows = rows[np.argsort(self.due_day[rows], kind="stable")]
            self._client_sets[clients] = rows
        return rows


def _book(open_invoices: pd.DataFrame) -> _Book:
    """The open invoices with something left to pay, indexed by number and by client."""
    frame = open_invoices[open_invoices["open_cents"] > 0]
    ids = frame["invoice_id"].astype(str)
    keys = ids.str.replace(_LEADING_ZEROS, "", regex=True).str.replace(_NOT_DIGITS, "", regex=True)
    shared = keys.duplicated(keep=False).to_numpy() | (keys == "").to_numpy()
    positions = np.arange(len(frame))
    by_key = dict(zip(keys[~shared].tolist(), positions[~shared].tolist(), strict=True))
    by_shared_key: dict[str, list[int]] = {}
    for key, row in zip(keys[shared].tolist(), positions[shared].tolist(), strict=True):
        if key:
            by_shared_key.setdefault(key, []).append(row)

    clients = frame["client_id"].astype(str).to_numpy(dtype=object)
    due = day_numbers(frame["due_date"])
    codes, uniques = pd.factorize(clients)
    order = np.lexsort((due, codes))
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    by_client = {
        str(c): order[bounds[k] : bounds[k + 1]].astype(np.intp) for k, c in enumerate(uniques)
    }
    currency = frame.get("currency", pd.Series(DEFAULT_CURRENCY, index=frame.index))
    currency_codes, currencies = pd.factorize(currency.fillna(DEFAULT_CURRENCY).astype(str))
    return _Book(
        invoice_id=ids.to_numpy(dtype=object),
        client_id=clients,
        currency=np.asarray(currency_codes, dtype=np.int64),
        currencies={str(c): k for k, c in enumerate(currencies)},
        issue_day=day_numbers(frame["issue_date"]),
        due_day=due,
        open_cents=frame["open_cents"].to_numpy(dtype=np.int64),
        capacity=frame["open_cents"].to_numpy(dtype=np.int64).copy(),
        lettered=frame.get("lettered", pd.Series(False, index=frame.index))
        .fillna(False)
        .to_numpy(dtype=bool),
        digits=ids.str.replace(_NOT_DIGITS, "", regex=True).tolist(),
        by_key=by_key,
        by_shared_key=by_shared_key,
        by_client=by_client,
    )


# --- the lines -----------------------------------------------------------------------


@dataclass
class _Lines:
    """Bank lines as arrays, with their client candidates and the numbers in their labels."""

    line_id: list[str]
    day: IntArray
    amount: IntArray
    remaining: IntArray
    currency: IntArray  # codes of the book's currencies, -1 for one it does not hold
    clients: list[tuple[str, ...]]
    client_from: list[str]
    numbers: list[list[str]]
    settled: npt.NDArray[np.bool_]
    named: npt.NDArray[np.bool_]  # the label names invoices left unallocated


def _complete_numbers(label: str) -> list[str]:
    """The numbers of a label, less a last one the bank may have cut at the label's width."""
    numbers = label_numbers(label)
    if numbers and len(label) >= SEPA_LABEL_WIDTH and label[-1].isdigit():
        numbers.pop()
    return numbers


def _lines(
    lines: pd.DataFrame, known: set[str], names: _NameIndex, currencies: dict[str, int]
) -> _Lines:
    """The lines with their client (given, or from the payer's name) and label numbers."""
    labels = lines["label"].fillna("").astype(str).tolist()
    given = lines["client_id"] if "client_id" in lines else pd.Series(None, index=lines.index)
    currency = lines.get("currency", pd.Series(DEFAULT_CURRENCY, index=lines.index))
    clients: list[tuple[str, ...]] = []
    client_from: list[str] = []
    for label, client in zip(labels, given.tolist(), strict=True):
        if isinstance(client, str) and client in known:
            clients.append((client,))
            client_from.append("line")
        else:
            found, source = names.resolve(label_name(label))
            clients.append(found)
            client_from.append(source)
    amount = lines["amount_cents"].to_numpy(dtype=np.int64)
    n = len(lines)
    return _Lines(
        line_id=lines["line_id"].astype(str).tolist(),
        day=day_numbers(lines["date"]),
        amount=amount,
        remaining=amount.copy(),
        currency=np.array(
            [currencies.get(c, -1) for c in currency.fillna(DEFAULT_CURRENCY).astype(str)],
            dtype=np.int64,
        ),
        clients=clients,
        client_from=client_from,
        numbers=[_complete_numbers(label) for label in labels],
        settled=np.zeros(n, dtype=bool),
        named=np.zeros(n, dtype=bool),
    )


# --- subsets -------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _combinations(n: int, k: int) -> IndexArray:
    """Every k-subset of ``range(n)``, one per row."""
    combos = np.fromiter(
        itertools.chain.from_iterable(itertools.combinations(range(n), k)), dtype=np.intp
    )
    return combos.reshape(-1, k)


def settling_subsets(
    amounts: IntArray, target: int, sizes: range, config: LettrageConfig
) -> tuple[list[IndexArray], bool]:
    """The subsets of ``amounts`` that settle ``target``, and whether they do so exactly.

    Exact subsets if there are any, else those within the tolerance of their total.
    """
    exact: list[IndexArray] = []
    near: list[IndexArray] = []
    for k in sizes:
        if k > len(amounts):
            break
        combos = _combinations(len(amounts), k)
        totals = amounts[combos].sum(axis=1)
        exact.extend(combos[totals == target])
        if not exact:
            near.extend(combos[np.abs(totals - target) <= config.gaps(totals)])
    return (exact, True) if exact else (near, False)
