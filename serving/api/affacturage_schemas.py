"""Bodies of the affacturage route: a factor's offer and a cash need in, a plan out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from serving.api.schemas import MAX_AMOUNT, Day, ModelRef


class OfferIn(BaseModel):
    """The factor's terms."""

    model_config = ConfigDict(extra="forbid")

    commission_percent: Decimal = Field(
        ge=0, le=100, description="commission d'affacturage, % of each invoice TTC", examples=[0.8]
    )
    financing_rate_percent: Decimal = Field(
        ge=0,
        le=100,
        description="commission de financement, % a year on the amount advanced, from today "
        "to the expected payment",
        examples=[5.5],
    )
    retention_percent: Decimal = Field(
        default=Decimal("10"),
        ge=0,
        lt=100,
        description="retenue de garantie: % of each invoice held back until the client pays",
    )
    eligible_clients: list[str] = Field(
        default_factory=list,
        max_length=100_000,
        description="clients whose invoices the factor buys; empty: every client",
    )
    min_invoice: Decimal = Field(
        default=Decimal("0"), ge=0, le=MAX_AMOUNT, description="smallest open amount bought"
    )
    include_overdue: bool = Field(
        default=False, description="the factor also buys invoices already overdue"
    )


class NeedIn(BaseModel):
    """Cash needed by a date, with a confidence."""

    model_config = ConfigDict(extra="forbid")

    amount: Decimal = Field(gt=0, le=MAX_AMOUNT, description="cash needed", examples=[300000])
    by: Day = Field(description="date it is needed by (end of day)", examples=["2026-01-15"])
    confidence: float = Field(
        default=0.9, ge=0.5, lt=1, description="probability of having it by then"
    )


class AffacturageIn(BaseModel):
    """A factor's offer and a cash need."""

    model_config = ConfigDict(extra="forbid")

    offer: OfferIn
    need: NeedIn
    as_of: Day | None = Field(default=None, description="day of the plan; default today")
    currency: str = Field(default="EUR", pattern="^[A-Z]{3}$", description="currency planned")
    limit: int = Field(default=100, ge=1, le=10_000, description="ranked invoices returned")


class ChoiceOut(BaseModel):
    """Selling nothing, or every eligible invoice."""

    cost: float = Field(description="what it costs")
    assured: float = Field(description="cash assured by the date at the confidence")
    covered: bool = Field(description="the need is met at the confidence")
    invoices: int | None = Field(default=None, description="invoices sold")


class FactoredInvoiceOut(BaseModel):
    """An eligible invoice: what factoring it costs and brings, against waiting."""

    invoice_id: str = Field(description="the invoice")
    client_id: str = Field(description="its client")
    due_date: dt.date = Field(description="its due date")
    open: float = Field(description="amount open TTC")
    p_paid: float = Field(ge=0, le=1, description="probability the client pays it by the date")
    advance: float = Field(description="advanced by the factor (open less the retention)")
    commission: float = Field(description="commission d'affacturage")
    interest: float = Field(description="commission de financement to the expected payment")
    cost: float = Field(description="cost of factoring: commission + interest")
    net: float = Field(description="cash received today: advance − cost")
    waiting: float = Field(description="cost of waiting: the amount that may not be in by then")
    assured_gain: float = Field(description="cash assured by the date that selling it alone adds")
    cost_per_euro: float | None = Field(description="cost per euro assured; null: adds nothing")
    chosen: bool = Field(description="in the plan")


class AffacturageOut(BaseModel):
    """The plan: the cheapest invoices to sell for the need at its confidence."""

    model: ModelRef
    currency: str = Field(description="currency of every amount")
    collection_ratio: float | None = Field(
        description="what came in lately as a share of what the model expected, in the worst "
        "of the last four windows of the same length (capped at 1): every probability of "
        "payment is scaled by it; null when there is no past window"
    )
    as_of: dt.date = Field(description="day of the plan")
    need: NeedIn = Field(description="the need planned for")
    covered: bool = Field(description="the plan meets the need at the confidence")
    chosen: int = Field(ge=0, description="invoices to sell")
    cost: float = Field(description="cost of the plan")
    assured: float = Field(description="cash assured by the date with the plan")
    nothing: ChoiceOut = Field(description="selling nothing")
    everything: ChoiceOut = Field(description="selling every eligible invoice")
    invoices: list[FactoredInvoiceOut] = Field(
        description="eligible invoices, those chosen first, then by cost per euro assured"
    )
