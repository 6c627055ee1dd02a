"""Response body of the forecast route, every field described."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from serving.api.schemas import ModelRef


class ForecastPeriod(BaseModel):
    """One day or week of the forecast; money in the forecast's currency, TTC."""

    period_start: dt.date = Field(description="first day of the period")
    period_end: dt.date = Field(description="last day of the period (inclusive)")
    expected: float = Field(
        description="expected cash-in: Σ open amount × P(paid in the period | open at as_of) "
        "over the open invoices, plus unbilled amounts falling due in the period",
        examples=[125000.0],
    )
    std: float = Field(
        description="standard deviation of the invoices' cash-in, each invoice paid in full "
        "in the period or not (Bernoulli); invoices of one client correlated 0.15, clients "
        "independent",
        examples=[18000.0],
    )
    low80: float = Field(description="80 % band, low end: expected − 1.2816 σ, at least 0")
    high80: float = Field(description="80 % band, high end: expected + 1.2816 σ")
    low95: float = Field(description="95 % band, low end: expected − 1.96 σ, at least 0")
    high95: float = Field(description="95 % band, high end: expected + 1.96 σ")
    unbilled: float = Field(
        description="part of `expected` from factures à émettre, assumed invoiced on their "
        "expected issue date and paid on the due date of the client's terms"
    )
    encours: float = Field(
        description="projected encours client at the end of the period: encours at as_of less "
        "the cumulative expected cash-in (run-off: no new sales)"
    )
    dso: float | None = Field(
        description="projected DSO: projected encours × 365 / CA TTC of the 365 days to as_of; "
        "empty when that CA is not positive"
    )


class ForecastOut(BaseModel):
    """Expected cash-in per period after `as_of`, with bands, projected encours and DSO."""

    as_of: dt.date = Field(description="date the forecast is made at (end of that day)")
    currency: str = Field(description="ISO 4217 currency of every amount", examples=["EUR"])
    granularity: Literal["day", "week"] = Field(
        description="`day`, or `week`: 7-day periods starting the day after as_of"
    )
    model: ModelRef = Field(description="payment-time model that gave the distributions")
    encours: float = Field(description="encours client at as_of")
    sales_12m: float = Field(description="CA TTC of the 365 days to as_of (DSO denominator)")
    open_invoices: int = Field(
        description="open invoices forecast (credit notes, written-off left out)"
    )
    periods: list[ForecastPeriod] = Field(description="one row per period, in order")
    warnings: list[str] = Field(
        default_factory=list,
        description="why the figures may mislead, in plain words; empty when nothing is "
        "wrong (e.g. as_of long after the last date the ledger knows)",
    )
