"""The invoice itself: amount against the client's usual, terms, calendar, dispute."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.prepared import Pairs, PreparedLedger
from features.registry import FeatureSpec, register
from features.timeline import Timeline

FAMILY = "invoice"

SPECS = register(
    FeatureSpec("inv_log_amount", "logarithm of the invoice amount", FAMILY),
    FeatureSpec(
        "inv_amount_vs_usual",
        "log amount minus the mean log amount of the client's earlier invoices",
        FAMILY,
    ),
    FeatureSpec(
        "inv_terms_days", "payment terms of this invoice: due date minus issue date", FAMILY
    ),
    FeatureSpec("inv_issue_weekday", "weekday of issue (Monday = 0)", FAMILY),
    FeatureSpec("inv_issue_month", "month of issue (1-12)", FAMILY),
    FeatureSpec("inv_issue_month_end", "issued in the last three days of a month", FAMILY),
    FeatureSpec("inv_due_in_august", "falls due in August (congés d'été)", FAMILY),
    FeatureSpec("inv_due_in_december", "falls due in December (year-end closing)", FAMILY),
    FeatureSpec("inv_disputed", "the invoice is disputed (litige)", FAMILY),
    FeatureSpec("inv_currency", "currency of the invoice", FAMILY, "category"),
)
NAMES = [s.name for s in SPECS]


class InvoiceFeatures:
    """The invoice family: fit on a prepared ledger, transform pairs."""

    def fit(self, prepared: PreparedLedger) -> InvoiceFeatures:
        """Running sums of log amounts per client, and the currencies seen."""
        inv = prepared.invoices
        log_amount = np.log1p(inv["amount_cents"].to_numpy() / 100)
        self.timeline_ = Timeline.from_deltas(
            inv["code"].to_numpy(),
            inv["issue_day"].to_numpy(),
            pd.DataFrame({"n": np.ones(len(inv)), "sum_log": log_amount}),
        )
        return self

    def transform(self, pairs: Pairs) -> pd.DataFrame:
        """Features of each pair's invoice row."""
        rows = pairs.invoices
        issue = pd.to_datetime(rows["issue_date"])
        due = pd.to_datetime(rows["due_date"])
        log_amount = np.log1p(rows["amount_cents"].astype("float64").to_numpy() / 100)
        pos = self.timeline_.positions(pairs.code, pairs.t)
        n = self.timeline_.take("n", pos, missing=0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            usual = self.timeline_.take("sum_log", pos) / n
        flag = lambda mask: np.asarray(mask, dtype="float64")  # noqa: E731
        currency = rows["currency"] if "currency" in rows else pd.Series("EUR", index=rows.index)
        out = pd.DataFrame(
            {
                "inv_log_amount": log_amount,
                "inv_amount_vs_usual": log_amount - usual,
                "inv_terms_days": (due - issue).dt.days.to_numpy(dtype="float64"),
                "inv_issue_weekday": issue.dt.day_of_week.to_numpy(dtype="float64"),
                "inv_issue_month": issue.dt.month.to_numpy(dtype="float64"),
                "inv_issue_month_end": flag(issue.dt.days_in_month - issue.dt.day < 3),
                "inv_due_in_august": flag(due.dt.month == 8),
                "inv_due_in_december": flag(due.dt.month == 12),
                "inv_disputed": flag(rows["disputed"].fillna(False).astype(bool)),
                "inv_currency": currency.astype(object).to_numpy(),
            },
            index=pairs.index,
        )
        return out[NAMES]
