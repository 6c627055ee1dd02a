"""What the client owes at as_of: open and overdue invoices, against its credit limit.

An invoice counts from the day after its issue date. Its open amount at t is its
amount less the payments matched to it before t, until it is settled (paid date
before t); it is overdue once its due date is before t. Written-off invoices stay
open. Amounts are in currency units; currencies are not converted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.prepared import Columns, Pairs, PreparedLedger
from features.registry import FeatureSpec, register
from features.timeline import Timeline, keys, search
from ledger.days import NEVER

FAMILY = "exposure"

SPECS = register(
    FeatureSpec(
        "exp_n_invoices",
        "invoices issued to the client before this date",
        FAMILY,
        description_fr="factures émises au client avant cette date",
    ),
    FeatureSpec(
        "exp_open_amount",
        "amount the client owes (open invoices)",
        FAMILY,
        description_fr="encours du client : montant qu'il doit (factures ouvertes)",
    ),
    FeatureSpec(
        "exp_n_open",
        "number of open invoices of the client",
        FAMILY,
        description_fr="nombre de factures ouvertes du client",
    ),
    FeatureSpec(
        "exp_overdue_amount",
        "amount of the client's invoices past due",
        FAMILY,
        description_fr="montant des factures échues du client",
    ),
    FeatureSpec(
        "exp_n_overdue",
        "number of the client's invoices past due",
        FAMILY,
        description_fr="nombre de factures échues du client",
    ),
    FeatureSpec(
        "exp_open_vs_credit_limit",
        "amount owed as a share of the credit limit",
        FAMILY,
        description_fr="encours rapporté à la limite de crédit",
    ),
    FeatureSpec(
        "exp_oldest_open_days",
        "age in days of the client's oldest open invoice",
        FAMILY,
        description_fr="âge en jours de la plus ancienne facture ouverte du client",
    ),
)
NAMES = [s.name for s in SPECS]


def open_amount_events(prepared: PreparedLedger) -> pd.DataFrame:
    """Changes of each invoice's open amount (``row``, ``day``, ``delta`` in cents).

    +amount on the issue day; -payment on the later of its day and the issue day (payments
    on or after the settlement day are covered by it; a client cannot owe less than zero
    on an invoice); -the remainder on the settlement day.
    """
    inv = prepared.invoices
    pay = prepared.payments
    paid_day = inv["paid_day"].to_numpy()[pay["row"].to_numpy()]
    pay = pay[pay["day"].to_numpy() < paid_day].sort_values(["row", "day"], kind="stable")
    amount = inv["amount_cents"].to_numpy()
    rows = pay["row"].to_numpy()
    paid_so_far = pay["amount_cents"].groupby(rows).cumsum().to_numpy()
    capped = np.minimum(paid_so_far, amount[rows])
    before = np.concatenate([[0], capped[:-1]])
    first = np.concatenate([[True], rows[1:] != rows[:-1]]) if len(rows) else np.zeros(0, bool)
    before[first] = 0
    pay_delta = -(capped - before)
    issue_day = inv["issue_day"].to_numpy()
    paid_total = np.bincount(rows, weights=-pay_delta, minlength=len(inv)).astype("int64")
    settled = inv["paid_day"].to_numpy() != NEVER
    frames = [
        pd.DataFrame({"row": np.arange(len(inv)), "day": issue_day, "delta": amount}),
        pd.DataFrame(
            {
                "row": rows,
                "day": np.maximum(pay["day"].to_numpy(), issue_day[rows]),
                "delta": pay_delta,
            }
        ),
        pd.DataFrame(
            {
                "row": np.flatnonzero(settled),
                "day": np.maximum(inv["paid_day"].to_numpy(), issue_day)[settled],
                "delta": -(amount - paid_total)[settled],
            }
        ),
    ]
    return pd.concat(frames, ignore_index=True)


def _count_events(prepared: PreparedLedger) -> pd.DataFrame:
    """+1 open on the issue day, -1 on the settlement day, per invoice row."""
    inv = prepared.invoices
    settled = inv["paid_day"].to_numpy() != NEVER
    return pd.concat(
        [
            pd.DataFrame({"row": np.arange(len(inv)), "day": inv["issue_day"], "delta": 1}),
            pd.DataFrame(
                {
                    "row": np.flatnonzero(settled),
                    # A paid date before the issue date closes the invoice as it opens.
                    "day": np.maximum(inv["paid_day"].to_numpy(), inv["issue_day"].to_numpy())[
                        settled
                    ],
                    "delta": -1,
                }
            ),
        ],
        ignore_index=True,
    )


def _overdue(events: pd.DataFrame, prepared: PreparedLedger) -> pd.DataFrame:
    """Events of invoices that ever become overdue, none earlier than their overdue start.

    An invoice is overdue at t when its due and issue days are both before t and it is
    not settled before t; one settled on or before that start never is.
    """
    inv = prepared.invoices
    start = np.maximum(inv["issue_day"].to_numpy(), inv["due_day"].to_numpy())
    ever = inv["paid_day"].to_numpy() > start
    rows = events["row"].to_numpy()
    keep = ever[rows]
    return events[keep].assign(day=np.maximum(events["day"].to_numpy()[keep], start[rows[keep]]))


def _by_client(events: pd.DataFrame, prepared: PreparedLedger, name: str) -> Timeline:
    code = prepared.invoices["code"].to_numpy()[events["row"].to_numpy()]
    return Timeline.from_deltas(
        code, events["day"].to_numpy(), pd.DataFrame({name: events["delta"].to_numpy()})
    )


class ExposureFeatures:
    """The exposure family: fit on a prepared ledger, transform pairs."""

    def fit(self, prepared: PreparedLedger) -> ExposureFeatures:
        """Build the open and overdue timelines of every client once."""
        amounts = open_amount_events(prepared)
        counts = _count_events(prepared)
        inv = prepared.invoices
        self.timelines_ = {
            "exp_n_invoices": _by_client(counts[counts["delta"] > 0], prepared, "v"),
            "exp_open_amount": _by_client(amounts, prepared, "v"),
            "exp_n_open": _by_client(counts, prepared, "v"),
            "exp_overdue_amount": _by_client(_overdue(amounts, prepared), prepared, "v"),
            "exp_n_overdue": _by_client(_overdue(counts, prepared), prepared, "v"),
        }
        limit = prepared.clients["credit_limit_cents"].astype("float64").to_numpy()
        self.credit_limit_ = np.where(limit > 0, limit / 100, np.nan)
        # Oldest open invoice: in issue order, the first whose paid day is not before t
        # is the first where the running maximum of paid days reaches t.
        order = np.lexsort((inv["issue_day"].to_numpy(), inv["code"].to_numpy()))
        code = inv["code"].to_numpy()[order]
        self.oldest_code_ = code
        self.oldest_issue_ = inv["issue_day"].to_numpy()[order]
        running_max = pd.Series(inv["paid_day"].to_numpy()[order]).groupby(code).cummax()
        self.oldest_keys_ = keys(code, running_max.to_numpy())
        return self

    def _oldest_open_days(self, pairs: Pairs) -> np.ndarray:
        pos = search(self.oldest_keys_, keys(pairs.code, pairs.t), pairs.order)
        safe = np.minimum(pos, max(len(self.oldest_keys_) - 1, 0))
        if len(self.oldest_keys_) == 0:
            return np.full(len(pairs.t), np.nan)
        found = (
            (pos < len(self.oldest_keys_))
            & (self.oldest_code_[safe] == pairs.code)
            & (self.oldest_issue_[safe] < pairs.t)
            & (pairs.code >= 0)
        )
        return np.where(found, pairs.t - self.oldest_issue_[safe], np.nan).astype("float64")

    def transform(self, pairs: Pairs) -> Columns:
        """Exposure features of each pair."""
        out: Columns = {}
        for name, timeline in self.timelines_.items():
            pos = timeline.positions(pairs.code, pairs.t, pairs.order)
            value = timeline.take("v", pos, missing=0.0)
            out[name] = value / 100 if name.endswith("amount") else value
        limit = np.where(pairs.code >= 0, self.credit_limit_[np.maximum(pairs.code, 0)], np.nan)
        out["exp_open_vs_credit_limit"] = np.asarray(out["exp_open_amount"]) / limit
        out["exp_oldest_open_days"] = self._oldest_open_days(pairs)
        return out
