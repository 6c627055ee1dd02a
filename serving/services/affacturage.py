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


@dataclass(frozen=True)
class FactoringAt:
    """A factoring plan from the payment-time champion ``model``."""

    model: LoadedModel
    plan: FactoringPlan
    currency: str

    def as_json(self, rows: int | None = None) -> dict[str, Any]:
        """The plan as ``--json`` and the API give it."""
        return {"currency": self.currency, **self.plan.as_json(rows)}


def affacturage(
    ctx: Context,
    offer: FactorOffer,
    need: CashNeed,
    as_of: dt.date | None = None,
    currency: str = "EUR",
) -> FactoringAt:
    """The cheapest invoices to sell to the factor for ``need`` at its confidence, beside
    selling nothing and everything eligible, from the payment-time champion.

    Raises:
        ModelUnavailable: no payment-time champion is served.
        NeedBeforeToday: the need's date is not after ``as_of``.
    """
    day = as_of or dt.date.today()
    if need.by <= day:
        raise NeedBeforeToday(f"the cash need's date {need.by} must be after {day}")
    model = ctx.champion(TIME_MODEL)
    figures = waiting_figures(ctx.ledger, ctx.features, model.model, day, need.by, currency)
    plan = plan_factoring(figures, offer, need, day, rho=CLIENT_RHO)
    return FactoringAt(model, plan, currency)
