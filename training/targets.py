"""What the models learn, and which invoices' outcomes are known at a date.

Late or not is known at ``known_at`` once the due date has passed (paid by then or
not); an invoice not yet due is left out of the late target, whether or not it was
already paid, since keeping only the early payers would bias the recent invoices
toward "on time". Buckets are known once the due date is 90 days past. The payment
time of an invoice still open at ``known_at`` is censored: it was not paid by then,
and the payment-time model uses exactly that (see :mod:`training.payment_time`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BUCKETS = ("on_time", "1_30", "31_60", "61_90", "over_90")
"""Days-late buckets as the collection trade reads them (over_90 includes written off)."""
BUCKET_EDGES = (0, 30, 60, 90)
"""Upper bounds, in days late, of every bucket but the last."""


def invoice_documents(invoices: pd.DataFrame) -> pd.DataFrame:
    """Invoices proper (no credit notes): the rows the models describe."""
    return invoices[invoices["doc_type"] == "invoice"]


def _paid_before(invoices: pd.DataFrame, known_at: pd.Timestamp) -> pd.Series:
    return invoices["paid_date"].notna() & (invoices["paid_date"] < known_at)


def late_outcome(invoices: pd.DataFrame, known_at: pd.Timestamp) -> pd.Series:
    """1.0 paid late, 0.0 paid on time, NaN unknown at ``known_at``; indexed like ``invoices``."""
    paid = _paid_before(invoices, known_at)
    due_passed = invoices["due_date"] < known_at
    late = ~paid | (invoices["paid_date"] > invoices["due_date"])
    outcome = pd.Series(np.nan, index=invoices.index)
    outcome[due_passed] = late[due_passed].astype(float)
    return outcome


def bucket_outcome(invoices: pd.DataFrame, known_at: pd.Timestamp) -> pd.Series:
    """Index into :data:`BUCKETS` of each invoice, NaN until its due date is 90 days past.

    Paid or not: counting the recent invoices already paid but not the open ones would
    fill the early buckets with the fast payers (as for :func:`late_outcome`).
    """
    paid = _paid_before(invoices, known_at)
    days_late = (invoices["paid_date"] - invoices["due_date"]).dt.days
    bucket = pd.Series(np.searchsorted(BUCKET_EDGES, days_late.fillna(0)), index=invoices.index)
    decided = invoices["due_date"] + pd.Timedelta(days=BUCKET_EDGES[-1]) < known_at
    out = pd.Series(np.nan, index=invoices.index)
    out[decided & paid] = bucket[decided & paid].astype(float)
    out[decided & ~paid] = float(len(BUCKETS) - 1)
    return out


def payment_durations(invoices: pd.DataFrame, known_at: pd.Timestamp) -> pd.DataFrame:
    """Observed payment time of each invoice at ``known_at``, censored when still open.

    Columns: ``offset`` (days from the due date to payment, or to the last day known,
    ``known_at - 1``, when open), ``paid`` (the offset is a payment, not a censoring) and
    ``start`` (the issue date's offset from the due date, <= 0: nothing can be paid before).
    """
    paid = _paid_before(invoices, known_at)
    last_known = known_at - pd.Timedelta(days=1)
    end = invoices["paid_date"].where(paid, last_known)
    return pd.DataFrame(
        {
            "offset": (end - invoices["due_date"]).dt.days.astype("int64"),
            "paid": paid.to_numpy(),
            "start": (invoices["issue_date"] - invoices["due_date"]).dt.days.astype("int64"),
        },
        index=invoices.index,
    )
