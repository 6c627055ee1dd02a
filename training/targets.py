"""What the models learn, and which invoices' outcomes are known at a date.

An invoice still open at the cut-off is censored. For the late/not-late target
its outcome is nevertheless known once its due date has passed unpaid (it is
late); an open invoice not yet due has no known outcome and is left out here.
The payment-time model (a later issue) uses those as censored observations.
"""

from __future__ import annotations

import pandas as pd


def late_outcome(invoices: pd.DataFrame, known_at: pd.Timestamp) -> pd.Series:
    """1.0 paid late, 0.0 paid on time, NaN unknown at ``known_at``; indexed like ``invoices``."""
    paid = invoices["paid_date"].notna() & (invoices["paid_date"] < known_at)
    late_paid = paid & (invoices["paid_date"] > invoices["due_date"])
    overdue_open = ~paid & (invoices["due_date"] < known_at)
    outcome = pd.Series(float("nan"), index=invoices.index)
    outcome[paid] = late_paid[paid].astype(float)
    # Open past its due date, or written off: late whatever happens next.
    outcome[overdue_open] = 1.0
    return outcome


def invoice_documents(invoices: pd.DataFrame) -> pd.DataFrame:
    """Invoices proper (no credit notes): the rows the models describe."""
    return invoices[invoices["doc_type"] == "invoice"]
