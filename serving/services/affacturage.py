"""The affacturage use: the open invoices to sell to a factor to meet a cash need."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from features.pipeline import FeatureBuilder
from ledger.contract import Ledger
from serving.affacturage import CashNeed, FactoringPlan, FactorOffer, plan_factoring
from serving.forecast import CLIENT_RHO, collectible, invoice_probabilities
from serving.scoring import LoadedModel
from serving.services.context import Context
from training.models import TIME_MODEL
from training.payment_time import TimeModel


class NeedBeforeToday(ValueError):
    """A cash need dated on or before the day of the plan."""


FINANCING_HORIZON_DAYS = 182
"""Longest financing counted: 26 weeks, the forecast's horizon."""


def waiting_figures(
    ledger: Ledger,
    features: FeatureBuilder,
    model: TimeModel,
    as_of: dt.date,
    by: dt.date,
    currency: str = "EUR",
) -> pd.DataFrame:
    """The invoices open at the end of ``as_of`` in ``currency`` (net of unapplied cash, as
    the forecast counts them) with ``p_paid``, the probability their client pays by the end
    of ``by``, and ``days_financed``, days from ``as_of`` to the median payment day (26
    weeks when the median lies beyond).

    Both are read from the cash-in forecast's daily probabilities
    (:func:`serving.forecast.invoice_probabilities`), payment runs included: a client who
    pays on the 10th and at month end pays nothing between the 11th and the 29th.
    """
    invoices = collectible(ledger, as_of, currency)
    columns = ["invoice_id", "client_id", "open_cents", "due_date", "disputed"]
    ends = np.arange(1, FINANCING_HORIZON_DAYS + 1)
    daily = invoice_probabilities(ledger, features, model, invoices, as_of, ends)
    paid_by_day = np.cumsum(daily, axis=1)
    out = invoices.reindex(columns=columns).reset_index(drop=True)
    days = min((by - as_of).days, FINANCING_HORIZON_DAYS)
    out["p_paid"] = paid_by_day[:, days - 1] if len(out) else np.zeros(0)
    reached = paid_by_day >= 0.5 - 1e-9
    median = np.where(reached.any(axis=1), reached.argmax(axis=1) + 1, FINANCING_HORIZON_DAYS)
    out["days_financed"] = median.astype(np.int64)
    return out


HISTORY_WINDOWS = 4
"""Past windows the model's collections are checked on (see :func:`collection_ratio`)."""
HISTORY_STEP_DAYS = 28


def collection_ratio(
    ledger: Ledger,
    features: FeatureBuilder,
    model: TimeModel,
    as_of: dt.date,
    days: int,
    currency: str = "EUR",
) -> float | None:
    """What came in, as a share of what the model expected, in the worst of the last
    :data:`HISTORY_WINDOWS` windows of ``days`` days (starting every 4 weeks back, each
    over by ``as_of``); None without any. Capped at 1.

    Invoices of one client are correlated in σ, but a shock shared by every client (a
    slow summer, a model that drifted since its training) is not: measured on a
    simulated ledger (bench/affacturage.py, 400 clients), the model expected 10 to 25 %
    more than came in within two weeks in most months, and a plan trusting it met its
    90 % need in 7 months of 16. Scaling each invoice's probability by this ratio puts
    the ledger's own recent record behind the plan: it then met it in 16 months of 16, at
    32 % of the cost of selling everything (28 % before).
    """
    paid = ledger.invoices.set_index("invoice_id")["paid_date"]
    ratios = []
    for k in range(1, HISTORY_WINDOWS + 1):
        start = as_of - dt.timedelta(days=k * HISTORY_STEP_DAYS)
        if start + dt.timedelta(days=days) > as_of:
            continue
        invoices = collectible(ledger, start, currency)
        if invoices.empty:
            continue
        p = invoice_probabilities(ledger, features, model, invoices, start, np.array([days]))
        amounts = invoices["open_cents"].to_numpy(dtype="float64")
        expected = float(amounts @ p[:, 0])
        came = (
            paid.reindex(invoices["invoice_id"]) <= pd.Timestamp(start + dt.timedelta(days=days))
        ).to_numpy()
        if expected > 0:
            ratios.append(float(amounts[came].sum()) / expected)
    return min(1.0, min(ratios)) if ratios else None


@dataclass(frozen=True)
class FactoringAt:
    """A factoring plan from the payment-time champion ``model``."""

    model: LoadedModel
    plan: FactoringPlan
    currency: str
    collection_ratio: float | None = None
    """The share of its expectations the model collected lately, which scaled the
    probabilities (None: no past window)."""

    def as_json(self, rows: int | None = None) -> dict[str, Any]:
        """The plan as ``--json`` and the API give it."""
        ratio = None if self.collection_ratio is None else round(self.collection_ratio, 4)
        return {"currency": self.currency, "collection_ratio": ratio, **self.plan.as_json(rows)}


def affacturage(
    ctx: Context,
    offer: FactorOffer,
    need: CashNeed,
    as_of: dt.date | None = None,
    currency: str = "EUR",
) -> FactoringAt:
    """The cheapest invoices to sell to the factor for ``need`` at its confidence, beside
    selling nothing and everything eligible, from the payment-time champion, its
    probabilities scaled by what it collected lately (:func:`collection_ratio`).

    Raises:
        ModelUnavailable: no payment-time champion is served.
        NeedBeforeToday: the need's date is not after ``as_of``.
    """
    day = as_of or dt.date.today()
    if need.by <= day:
        raise NeedBeforeToday(f"the cash need's date {need.by} must be after {day}")
    model = ctx.champion(TIME_MODEL)
    figures = waiting_figures(ctx.ledger, ctx.features, model.model, day, need.by, currency)
    days = min((need.by - day).days, FINANCING_HORIZON_DAYS)
    ratio = collection_ratio(ctx.ledger, ctx.features, model.model, day, days, currency)
    if ratio is not None:
        figures["p_paid"] = figures["p_paid"] * ratio
    plan = plan_factoring(figures, offer, need, day, rho=CLIENT_RHO)
    return FactoringAt(model, plan, currency, ratio)
