"""The affacturage use: the open invoices to sell to a factor to meet a cash need."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from features.pipeline import FeatureBuilder
from ledger.contract import Ledger
from ledger.days import day_number, day_numbers
from serving.affacturage import CashNeed, FactoringPlan, FactorOffer, plan_factoring
from serving.forecast import CLIENT_RHO, collectible
from serving.scoring import LoadedModel, model_columns
from serving.services.context import Context
from training.models import TIME_MODEL
from training.payment_time import TimeModel


class NeedBeforeToday(ValueError):
    """A cash need dated on or before the day of the plan."""


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
    of ``by``, and ``days_financed``, days from ``as_of`` to the median payment date (the
    distribution's last day when the median lies beyond it)."""
    invoices = collectible(ledger, as_of, currency)
    columns = ["invoice_id", "client_id", "open_cents", "due_date", "disputed"]
    if invoices.empty:
        return invoices.reindex(columns=[*columns, "p_paid", "days_financed"])
    x = features.transform(invoices, pd.Timestamp(as_of))
    open_at = pd.Series(pd.Timestamp(as_of) + pd.Timedelta(days=1), index=invoices.index)
    dist = model.distribution(
        model_columns(model, x), invoices["issue_date"], invoices["due_date"], open_at
    )
    due = day_numbers(invoices["due_date"])
    p_paid = dist.paid_by((day_number(by) - due).astype("float64"))
    median = dist.quantile(0.5)
    median = np.where(np.isnan(median), dist.knots[:, -1], median)
    out = invoices[columns].reset_index(drop=True)
    out["p_paid"] = p_paid
    out["days_financed"] = (due + median - day_number(as_of)).astype(np.int64)
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
