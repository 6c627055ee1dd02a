"""The invoice itself: amount against the client's usual, terms, calendar, dispute."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.categories import Categories
from features.pay_runs import run_in_term
from features.prepared import Columns, Pairs, PreparedLedger
from features.registry import FeatureSpec, register
from features.timeline import Timeline
from ledger.contract import DEFAULT_CURRENCY
from ledger.day_calendar import end_of_month, month_end_run, month_of_year, tenth_run, weekday
from ledger.days import day_numbers

FAMILY = "invoice"
CURRENCIES = (
    *("EUR", "USD", "GBP", "CHF", "JPY", "CNY", "CAD", "AUD", "SEK", "NOK", "DKK", "PLN"),
    *("CZK", "HUF", "RON", "BGN", "TRY", "MAD", "TND", "DZD", "XOF", "XAF", "XPF", "BRL"),
    *("MXN", "INR", "SGD", "HKD", "ZAR", "AED", "SAR", "ILS", "KRW", "NZD", "ISK", "RSD"),
)
"""Currencies always among the categories of ``inv_currency``, besides the ledger's."""

SPECS = register(
    FeatureSpec(
        "inv_log_amount",
        "logarithm of the invoice amount",
        FAMILY,
        description_fr="logarithme du montant de la facture",
    ),
    FeatureSpec(
        "inv_amount_vs_usual",
        "log amount minus the mean log amount of the client's earlier invoices",
        FAMILY,
        description_fr="log du montant moins la moyenne des log des montants des factures "
        "précédentes du client",
    ),
    FeatureSpec(
        "inv_terms_days",
        "payment terms of this invoice: due date minus issue date",
        FAMILY,
        description_fr="délai de paiement de cette facture : échéance moins date d'émission",
    ),
    FeatureSpec(
        "inv_issue_weekday",
        "weekday of issue (Monday = 0)",
        FAMILY,
        description_fr="jour de la semaine de l'émission (lundi = 0)",
    ),
    FeatureSpec(
        "inv_issue_month",
        "month of issue (1-12)",
        FAMILY,
        description_fr="mois de l'émission (1-12)",
    ),
    FeatureSpec(
        "inv_issue_month_end",
        "issued in the last three days of a month",
        FAMILY,
        description_fr="émise dans les trois derniers jours d'un mois",
    ),
    FeatureSpec(
        "inv_due_in_august",
        "falls due in August (congés d'été)",
        FAMILY,
        description_fr="échéance en août (congés d'été)",
    ),
    FeatureSpec(
        "inv_due_in_december",
        "falls due in December (year-end closing)",
        FAMILY,
        description_fr="échéance en décembre (clôture de fin d'année)",
    ),
    FeatureSpec(
        "inv_month_end_run_in_term",
        "a month's last business day falls after issue and on or before the due date: a "
        "client paying at month end (fin de mois) can pay on time",
        FAMILY,
        description_fr="un dernier jour ouvré du mois tombe après l'émission et au plus tard à "
        "l'échéance : un client qui paie en fin de mois peut payer à temps",
    ),
    FeatureSpec(
        "inv_tenth_run_in_term",
        "a 10th of the month (or the Monday after) falls after issue and on or before the "
        "due date: a client paying on the 10th can pay on time",
        FAMILY,
        description_fr="un 10 du mois (ou le lundi suivant) tombe après l'émission et au plus "
        "tard à l'échéance : un client qui paie le 10 peut payer à temps",
    ),
    FeatureSpec(
        "inv_disputed",
        "the invoice is disputed (litige)",
        FAMILY,
        description_fr="la facture est en litige",
        direction=1,
    ),
    FeatureSpec(
        "inv_currency",
        "currency of the invoice",
        FAMILY,
        "category",
        description_fr="devise de la facture",
    ),
)
NAMES = [s.name for s in SPECS]


class InvoiceFeatures:
    """The invoice family: fit on a prepared ledger, transform pairs.

    ``currency``, when given, holds the categories of ``inv_currency`` of the whole ledger
    (a part of it split by client would see fewer); otherwise the fitted ledger's.
    """

    def __init__(self, currency: Categories | None = None) -> None:
        self.currency = currency

    def fit(self, prepared: PreparedLedger) -> InvoiceFeatures:
        """Running sums of log amounts per client, and the currencies seen."""
        inv = prepared.invoices
        log_amount = np.log1p(inv["amount_cents"].to_numpy() / 100)
        self.timeline_ = Timeline.from_deltas(
            inv["code"].to_numpy(),
            inv["issue_day"].to_numpy(),
            pd.DataFrame({"n": np.ones(len(inv)), "sum_log": log_amount}),
        )
        # Common currencies are known even to a ledger that has none of them yet, so a
        # prospective invoice is described the same whatever the ledger holds.
        self.currency_ = (
            self.currency
            if self.currency is not None
            else currency_categories(inv["currency"].to_numpy(object))
        )
        return self

    def transform(self, pairs: Pairs) -> Columns:
        """Features of each pair's invoice row."""
        rows = pairs.invoices
        issue, due = day_numbers(rows["issue_date"]), day_numbers(rows["due_date"])
        log_amount = np.log1p(np.asarray(rows["amount_cents"], dtype="float64") / 100)
        pos = self.timeline_.positions(pairs.code, pairs.t, pairs.order)
        n = self.timeline_.take("n", pos, missing=0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            usual = self.timeline_.take("sum_log", pos) / n
        due_month = month_of_year(due)
        disputed = _flags(rows["disputed"])
        currency = (
            np.asarray(rows["currency"], dtype=object)
            if "currency" in rows
            else np.full(pairs.size, DEFAULT_CURRENCY, dtype=object)
        )
        return {
            "inv_log_amount": log_amount,
            "inv_amount_vs_usual": log_amount - usual,
            "inv_terms_days": (due - issue).astype("float64"),
            "inv_issue_weekday": weekday(issue).astype("float64"),
            "inv_issue_month": month_of_year(issue).astype("float64"),
            "inv_issue_month_end": (end_of_month(issue) - issue < 3).astype("float64"),
            "inv_due_in_august": (due_month == 8).astype("float64"),
            "inv_due_in_december": (due_month == 12).astype("float64"),
            "inv_month_end_run_in_term": run_in_term(issue, due, month_end_run).astype("float64"),
            "inv_tenth_run_in_term": run_in_term(issue, due, tenth_run).astype("float64"),
            "inv_disputed": disputed.astype("float64"),
            "inv_currency": self.currency_.encode(currency),
        }


def currency_categories(currencies: np.ndarray) -> Categories:
    """The categories of ``inv_currency``: the ledger's ``currencies`` and the common ones."""
    return Categories(np.append(currencies, CURRENCIES))


def _flags(values: pd.Series | np.ndarray) -> np.ndarray:
    """Yes/no values as bool, a missing one as no."""
    if isinstance(values, np.ndarray) and values.dtype == bool:
        return values
    return pd.Series(values).fillna(False).to_numpy(dtype=bool)
