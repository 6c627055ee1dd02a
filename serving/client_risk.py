"""Risk of a client in the ledger: its open invoices (or a typical one) scored by the
late-payment model, turned into the 0–100 score of :mod:`serving.risk_score`."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from features.pipeline import FeatureBuilder
from ledger.contract import DEFAULT_CURRENCY, Ledger
from ledger.kpis import open_amounts
from serving.risk_score import RiskInputs, RiskScore, risk_score
from serving.scoring import LoadedModel

DEFAULT_TERMS_DAYS = 30
DEFAULT_AMOUNT_CENTS = 100_000
"""Amount of the typical invoice when the ledger holds no invoice issued before ``as_of``."""


def invoice_frame(
    client_id: str,
    issue: list[pd.Timestamp],
    due: list[pd.Timestamp],
    cents: list[int],
    currency: list[str],
    disputed: list[bool],
) -> pd.DataFrame:
    """Invoices in the ledger's in-memory form, as the score route builds them."""
    return pd.DataFrame(
        {
            "invoice_id": [f"risk-{i}" for i in range(len(cents))],
            "client_id": client_id,
            "issue_date": pd.to_datetime(issue).astype("datetime64[ns]"),
            "due_date": pd.to_datetime(due).astype("datetime64[ns]"),
            "amount_cents": cents,
            "currency": currency,
            "doc_type": "invoice",
            "disputed": disputed,
        }
    )


def client_invoices(
    ledger: Ledger, client_id: str, as_of: dt.date, open_docs: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, int]:
    """The client's open invoices at ``as_of`` and their number; when it has none, one
    typical invoice and 0: issued at ``as_of``, of the median amount of the client's
    invoices issued before (of all clients' without any; 1,000 without any at all), on
    its agreed terms (else its median terms, else 30 days). ``open_docs``: the ledger's
    :func:`open_amounts` at ``as_of`` when the caller has them (those of the client's own
    rows will do), else computed."""
    if open_docs is None:
        open_docs = open_amounts(ledger, as_of)
    mine = open_docs[
        (open_docs["client_id"] == client_id)
        & (open_docs["doc_type"] == "invoice")
        & (open_docs["open_cents"] > 0)
    ]
    if len(mine):
        frame = invoice_frame(
            client_id,
            list(mine["issue_date"]),
            list(mine["due_date"]),
            [int(c) for c in mine["amount_cents"]],
            list(mine["currency"]),
            [bool(d) for d in mine["disputed"]],
        )
        return frame, len(mine)
    invoices = ledger.invoices[
        (ledger.invoices["doc_type"] == "invoice")
        & (ledger.invoices["issue_date"] < pd.Timestamp(as_of))  # point in time
    ]
    history = invoices[invoices["client_id"] == client_id]
    source = history if len(history) else invoices
    cents = int(source["amount_cents"].median()) if len(source) else DEFAULT_AMOUNT_CENTS
    client = ledger.clients[ledger.clients["client_id"] == client_id].iloc[0]
    terms = client["payment_terms_days"]
    if pd.isna(terms):
        spans = (history["due_date"] - history["issue_date"]).dt.days
        terms = int(spans.median()) if len(spans) else DEFAULT_TERMS_DAYS
    currencies = history["currency"].mode()
    issue = pd.Timestamp(as_of)
    frame = invoice_frame(
        client_id,
        [issue],
        [issue + pd.Timedelta(days=int(terms))],
        [cents],
        [str(currencies.iat[0]) if len(currencies) else DEFAULT_CURRENCY],
        [False],
    )
    return frame, 0


def _first(x: pd.DataFrame, column: str) -> float | None:
    """The client-level feature ``column`` (the same on every row), None when absent."""
    if column not in x or not len(x):
        return None
    value = float(x[column].iloc[0])
    return None if math.isnan(value) else value


def client_risk(
    ledger: Ledger,
    features: FeatureBuilder,
    late: LoadedModel,
    client_id: str,
    as_of: dt.date,
    open_docs: pd.DataFrame | None = None,
) -> tuple[RiskScore, int]:
    """Risk score of a client of the ledger and the number of open invoices behind it
    (``open_docs``: see :func:`client_invoices`).

    The caller has checked that the ledger holds ``client_id``
    (:meth:`serving.services.Context.require_clients`).
    """
    frame, n_open = client_invoices(ledger, client_id, as_of, open_docs)
    x = features.transform(frame, pd.Timestamp(as_of))
    inputs = RiskInputs(
        p_late=float(np.mean(late.predict_late(x, frame["client_id"]))),
        days_late=_first(x, "hist_shrunk_mean_days_late"),
        exposure=_first(x, "exp_open_vs_credit_limit"),
        trend=_first(x, "hist_trend_days_late"),
    )
    return risk_score(inputs), n_open
