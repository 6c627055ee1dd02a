"""Features of the invoice itself, known on its issue date."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.registry import FeatureSpec, register

FAMILY = "invoice"

SPECS = register(
    FeatureSpec("inv_log_amount", "logarithm of the invoice amount", FAMILY),
    FeatureSpec("inv_terms_days", "days between issue date and due date", FAMILY, "int"),
    FeatureSpec("inv_disputed", "the invoice is disputed", FAMILY, "bool"),
    FeatureSpec("inv_issue_month", "month of issue (1-12)", FAMILY, "int"),
)


def invoice_features(invoices: pd.DataFrame) -> pd.DataFrame:
    """Features of each invoice row, indexed like ``invoices``."""
    amount = invoices["amount_cents"].astype("float64") / 100
    return pd.DataFrame(
        {
            "inv_log_amount": np.log1p(amount.to_numpy()),
            "inv_terms_days": (invoices["due_date"] - invoices["issue_date"]).dt.days.to_numpy(),
            "inv_disputed": invoices["disputed"].astype(bool).to_numpy(),
            "inv_issue_month": invoices["issue_date"].dt.month.to_numpy(),
        },
        index=invoices.index,
    )
