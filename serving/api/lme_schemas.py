"""Bodies of the LME check: a client's line (also in its risk) and the report."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

LmeRule = Literal["public_30", "agreed_60_or_45_eom", "default_30"]


class LmeClientOut(BaseModel):
    """A client's payment terms against the LME (Code de commerce L441-10)."""

    rule: LmeRule = Field(
        description="the limit that applies: `public_30` (public buyer, 30 days), "
        "`agreed_60_or_45_eom` (agreed terms: 60 days from the invoice date or 45 days end "
        "of month), `default_30` (no agreed term: 30 days)"
    )
    is_public_sector: bool = Field(description="a public buyer")
    terms_days: int | None = Field(description="agreed terms in days; null when none")
    limit_days: int = Field(description="longest lawful term in days from the invoice date")
    terms_over_limit: bool = Field(description="the agreed terms exceed the limit")
    invoices_checked: int = Field(ge=0, description="invoices issued in the period checked")
    invoices_beyond: int = Field(ge=0, description="of them, due later than the law allows")
    amount_beyond: float = Field(description="their amount TTC")
    max_days_beyond: int = Field(ge=0, description="the largest excess, in days")
    flagged: bool = Field(description="terms over the limit, or an invoice beyond the law")
    moratory_rate_percent: float | None = Field(
        description="public buyers: the intérêts moratoires rate (ECB + 8 points); else null"
    )


class LmeClientRow(LmeClientOut):
    """A client's line of the report."""

    client_id: str = Field(description="the client")
    name: str | None = Field(description="its name")


class LmeInvoiceOut(BaseModel):
    """An invoice issued with a term beyond the law."""

    invoice_id: str = Field(description="the invoice")
    client_id: str = Field(description="its client")
    issue_date: dt.date = Field(description="date of issue")
    due_date: dt.date = Field(description="due date")
    terms_days: int = Field(description="due date − issue date, in days")
    latest_due_date: dt.date = Field(description="latest lawful due date under its rule")
    days_beyond: int = Field(gt=0, description="days the due date is beyond it")
    rule: LmeRule = Field(description="the rule applied")
    amount: float = Field(description="amount TTC")
    currency: str = Field(description="ISO 4217 currency")


class LmeOut(BaseModel):
    """The LME check at a date."""

    as_of: dt.date = Field(description="date of the check")
    since: dt.date = Field(description="invoices issued from this date are checked")
    clients: list[LmeClientRow] = Field(description="clients flagged (all with `all=true`)")
    invoices: list[LmeInvoiceOut] = Field(description="invoices beyond the law, worst first")
