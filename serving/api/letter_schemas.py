"""Request and response bodies of the letters route, every field described."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from serving.api.schemas import Day

LetterStep = Literal["preventive_reminder", "email", "letter", "formal_notice"]


class LettersIn(BaseModel):
    """Which letters to write."""

    model_config = ConfigDict(extra="forbid")

    step: LetterStep = Field(
        description="the relance step: `preventive_reminder` (rappel d'échéance), `email` "
        "(relance), `letter` (lettre de relance), `formal_notice` (mise en demeure)",
        examples=["formal_notice"],
    )
    as_of: Day | None = Field(
        default=None, description="date of the letters and of the worklist; default today"
    )
    client: str | None = Field(
        default=None,
        max_length=200,
        description="only this client: its id exactly, or part of its name",
    )
    record: bool = Field(
        default=True, description="log each letter as an action on each invoice it lists"
    )
    pdf: bool = Field(default=True, description="give each letter's PDF too (base64)")


class LetterInvoiceOut(BaseModel):
    """One invoice a letter lists; money in its currency, the indemnity in euros."""

    invoice_id: str = Field(description="invoice id in the ledger")
    number: str = Field(description="number printed (the reference when there is one)")
    issue_date: str = Field(description="date of issue as printed (dd/mm/yyyy)")
    due_date: str = Field(description="due date as printed (dd/mm/yyyy)")
    days_late: int = Field(ge=0, description="days past due at the letter's date")
    currency: str = Field(description="ISO 4217 currency of open and penalties")
    open: float = Field(description="amount still open TTC")
    penalties: float = Field(description="late-payment penalties owed so far (L441-10)")
    indemnity_eur: float = Field(description="indemnité forfaitaire, 40 € once overdue")


class LetterOut(BaseModel):
    """One client's letter."""

    client_id: str = Field(description="the client")
    client_name: str = Field(description="its name as printed")
    step: LetterStep = Field(description="the relance step")
    markdown: str = Field(description="the letter in Markdown")
    pdf_base64: str | None = Field(description="the letter as a PDF, base64; null if not asked")
    invoices: list[LetterInvoiceOut] = Field(description="invoices listed, by due date")
    open: float = Field(description="sum of the open amounts (one currency per ledger usually)")
    penalties: float = Field(description="sum of the penalties")
    indemnity_eur: float = Field(description="sum of the indemnities, in euros")


class LettersOut(BaseModel):
    """The letters of one step at one date."""

    as_of: dt.date = Field(description="date of the letters")
    step: LetterStep = Field(description="the relance step")
    recorded_actions: int = Field(
        ge=0, description="actions newly written (0 when already logged, or not asked)"
    )
    letters: list[LetterOut] = Field(description="one per client, by client id")
