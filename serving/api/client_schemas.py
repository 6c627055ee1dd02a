"""Request and response bodies of the client routes: risk of a client, onboarding score."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ledger.contract import DEFAULT_CURRENCY, MAX_ID_LENGTH
from serving.api.lme_schemas import LmeClientOut
from serving.api.schemas import MAX_AMOUNT, MAX_TEXT, USER_COLUMNS_RULE, Day, ModelRef, UserColumns


class RiskReasonOut(BaseModel):
    """One component of the risk score and the points it costs."""

    component: str = Field(
        description="late_share, days_late, exposure or trend", examples=["late_share"]
    )
    description: str = Field(description="what the component measures")
    value: float | None = Field(description="the component's input; null when unknown")
    points_lost: float = Field(
        ge=0, description="points taken off 100 by this component", examples=[12.4]
    )


class ClientRiskOut(BaseModel):
    """Risk of one client at one date: 100 is safest."""

    client_id: str = Field(description="the client", examples=["C00001"])
    as_of: dt.date = Field(description="date the client is seen at")
    model: ModelRef
    score: float = Field(ge=0, le=100, description="0–100, 100 = safest", examples=[72.5])
    grade: str = Field(description="A (≥ 80), B (≥ 65), C (≥ 50), D (≥ 35), E", examples=["B"])
    open_invoices: int = Field(
        ge=0,
        description="open invoices scored for the late share; 0: a typical invoice was scored",
    )
    reasons: list[RiskReasonOut] = Field(description="components, most points lost first")
    lme: LmeClientOut | None = Field(
        default=None,
        description="the client's payment terms against the LME (60 days or 45 days end of "
        "month; 30 days with no agreed term or for a public buyer) over the last year",
    )


class ProspectIn(BaseModel):
    """Who the prospective client is."""

    model_config = ConfigDict(extra="forbid")

    country: str | None = Field(
        default=None,
        max_length=MAX_ID_LENGTH,
        description="ISO 3166 alpha-2 country",
        examples=["FR"],
    )
    sector: str | None = Field(
        default=None, max_length=MAX_TEXT, description="business sector", examples=["retail"]
    )
    is_public_sector: bool = Field(default=False, description="a public-sector buyer")
    payment_terms_days: int | None = Field(
        default=None, ge=0, le=365, description="payment terms asked for, in days", examples=[30]
    )
    credit_limit: Decimal | None = Field(
        default=None, ge=0, lt=MAX_AMOUNT, description="credit limit considered, if any"
    )
    x: UserColumns = Field(
        default_factory=dict,
        description="your own client columns, named as in the clients file (x_*): "
        + USER_COLUMNS_RULE,
        examples=[{"x_segment": "sme"}],
    )


class FirstOrderIn(BaseModel):
    """The prospective client's first order, as it would be invoiced."""

    model_config = ConfigDict(extra="forbid")

    amount: Decimal = Field(
        gt=0, lt=MAX_AMOUNT, decimal_places=2, description="amount TTC", examples=["8400.00"]
    )
    currency: str = Field(
        default=DEFAULT_CURRENCY, pattern="^[A-Z]{3}$", description="ISO 4217 currency"
    )
    issue_date: Day = Field(description="date of issue", examples=["2025-07-01"])
    due_date: Day = Field(
        description="due date, on or after the issue date", examples=["2025-07-31"]
    )
    x: UserColumns = Field(
        default_factory=dict,
        description="your own invoice columns, named as in the invoices file (x_*): "
        + USER_COLUMNS_RULE,
        examples=[{"x_channel": "email"}],
    )

    @model_validator(mode="after")
    def due_after_issue(self) -> Self:
        """A due date before the issue date is a typing error, not an order."""
        if self.due_date < self.issue_date:
            raise ValueError(f"due_date {self.due_date} is before issue_date {self.issue_date}")
        return self


class OnboardingRequest(BaseModel):
    """A prospective client and its first order."""

    model_config = ConfigDict(extra="forbid")

    client: ProspectIn
    first_order: FirstOrderIn


class SuggestedTermsOut(BaseModel):
    """Terms suggested for the grade."""

    payment_terms_days: int = Field(ge=0, description="payment terms; 0 = prepayment")
    deposit_share: float = Field(ge=0, le=1, description="share of each order asked up front")
    credit_limit: Decimal = Field(ge=0, description="suggested credit limit, in the currency")
    currency: str = Field(description="currency of the credit limit", examples=["EUR"])
    note: str = Field(description="the rule applied, in words")


class OnboardingOut(BaseModel):
    """Score of a prospective client, on the scale of the client risk score."""

    model: ModelRef
    p_late: float = Field(ge=0, le=1, description="probability the first order is paid late")
    expected_days_late: float | None = Field(
        description="expected days late of the first order (0 if early); null without a "
        "payment-time part"
    )
    score: float = Field(ge=0, le=100, description="0–100, 100 = safest")
    grade: str = Field(description="A (≥ 80), B (≥ 65), C (≥ 50), D (≥ 35), E")
    reasons: list[RiskReasonOut] = Field(description="components, most points lost first")
    suggested: SuggestedTermsOut
