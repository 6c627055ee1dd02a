"""The encours beside the books: the client accounts of a FEC against encours' own figure.

At a date ``d``, the books hold, per client, the balance of its client accounts (411,
413 effets à recevoir, 416 clients douteux, and 4191 avances reçues) from the FEC lines
whose ``EcritureDate`` is on or before ``d``. encours computes its encours client from its
ledger (échu + non échu + à émettre + effets escomptés non échus − avances − non
affecté). The two agree line for line except where encours dates a line
otherwise than the books, or holds what the FEC does not; each such difference is
explained:

- **dated by the piece**: invoices and credit notes count from their ``PieceDate`` (the
  date printed on them, which starts their payment term), the books from their
  ``EcritureDate``; so do the lines of the à-nouveaux, dated by the pieces they carry;
- **à émettre**: factures à émettre given apart (an ``unbilled`` file), not in the FEC;
- **effets escomptés non échus**: bills the bank discounted and that are not yet due
  have left 413 on the books, yet the client has not paid them: encours counts them,
  as the accounting definition of the encours client does;
- **not imported**: a client account of the FEC that the ledger does not hold (left out
  with ``--exclude-client``, or not imported yet).

What remains is unexplained; :attr:`Reconciliation.unexplained_cents` is zero when the
ledger holds the books.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from ledger.contract import DEFAULT_CURRENCY, Ledger
from ledger.kpis import encours_by_client
from ledger.money import cents_to_decimal

COLUMNS = (
    "books_cents",
    "encours_cents",
    "piece_dates_cents",
    "a_emettre_cents",
    "effets_escomptes_cents",
    "not_imported_cents",
    "unexplained_cents",
)


@dataclass(frozen=True)
class Reconciliation:
    """The books and the encours at one date: per client, and the explanation."""

    as_of: date
    clients: pd.DataFrame  # indexed by client_id, the COLUMNS in cents

    @property
    def totals(self) -> dict[str, int]:
        """Each column summed over the clients."""
        return {c: int(self.clients[c].sum()) for c in COLUMNS}

    @property
    def unexplained_cents(self) -> int:
        """The total of the differences nothing explains (in absolute value, per client)."""
        return int(self.clients["unexplained_cents"].abs().sum())

    def as_json(self) -> dict[str, Any]:
        """Totals and clients with a difference, money in euros."""

        def euros(row: Mapping[Any, int]) -> dict[str, float]:
            return {c.removesuffix("_cents"): float(cents_to_decimal(row[c])) for c in COLUMNS}

        differing = self.clients[self.clients["books_cents"] != self.clients["encours_cents"]]
        return {
            "as_of": self.as_of.isoformat(),
            "total": euros(self.totals),
            "reconciled": self.unexplained_cents == 0,
            "clients": [
                {"client_id": str(client_id), **euros(row)}
                for client_id, row in differing.to_dict("index").items()
            ],
        }


def _by_client(values: pd.Series, clients: pd.Series) -> pd.Series:
    """``values`` summed per client (int64 cents)."""
    return values.groupby(clients).sum().astype(np.int64)


def month_ends(book: pd.DataFrame) -> list[date]:
    """Every month end from the first line's month to the last line's, then the last day."""
    first, last = book["entry_date"].min(), book["entry_date"].max()
    if pd.isna(first):
        return []
    ends = pd.date_range(first, last, freq="ME")
    return sorted({d.date() for d in ends} | {last.date()})


def reconcile(book: pd.DataFrame, ledger: Ledger, as_of: date) -> Reconciliation:
    """The books of ``book`` (see :func:`ledger.fec.book_lines`) beside ``ledger`` at ``as_of``.

    Only the clients of the FEC are compared (the ledger may hold others), in euros (the
    currency a FEC is kept in).
    """
    day = pd.Timestamp(as_of)
    book = book[book["client_id"].notna()]
    signed = book["signed"].astype(np.int64)
    in_books = book["entry_date"] <= day
    in_ledger = book["date"] <= day
    books = _by_client(signed.where(in_books, 0), book["client_id"])
    piece_dates = _by_client(
        signed * (in_ledger.astype(np.int64) - in_books.astype(np.int64)), book["client_id"]
    )
    ours = encours_by_client(ledger, as_of)
    ours = ours[ours["currency"] == DEFAULT_CURRENCY].set_index("client_id")
    clients = books.index
    held = clients.isin(ledger.clients["client_id"])
    frame = pd.DataFrame(
        {
            "books_cents": books,
            "encours_cents": ours["encours_cents"].reindex(clients, fill_value=0),
            "piece_dates_cents": piece_dates.reindex(clients, fill_value=0),
            "a_emettre_cents": ours["a_emettre_cents"].reindex(clients, fill_value=0),
            "effets_escomptes_cents": ours["effets_escomptes_cents"].reindex(clients, fill_value=0),
            "not_imported_cents": np.where(held, 0, -(books + piece_dates).to_numpy()),
        },
        index=clients,
    ).astype(np.int64)
    explained = frame[["books_cents", "piece_dates_cents", "a_emettre_cents"]].sum(axis=1)
    explained += frame["effets_escomptes_cents"]
    frame["unexplained_cents"] = frame["encours_cents"] - explained - frame["not_imported_cents"]
    return Reconciliation(pd.Timestamp(as_of).date(), frame)
