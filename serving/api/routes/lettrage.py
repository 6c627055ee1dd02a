"""Lettrage: match bank-statement lines to open invoices, apply the sure matches."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, ConfigDict, Field

from ledger.contract import DEFAULT_CURRENCY
from ledger.lettrage import CLIENT_SOURCES, RULES
from ledger.lettrage_store import MAX_LINE_ID, UNALLOCATED
from ledger.money import decimal_to_cents
from serving import services
from serving.api.bodies import OffLoopBodyRoute
from serving.api.deps import StateDep, require_batch
from serving.api.schemas import Day, Id
from serving.api.security import AUTH_RESPONSES, WriterDep, require_role

router = APIRouter(
    prefix="/v1",
    tags=["lettrage"],
    dependencies=[require_role("collector")],
    responses=AUTH_RESPONSES,
    route_class=OffLoopBodyRoute,
)

MAX_AMOUNT = Decimal("1e13")
_RULE_HELP = "; ".join(f"`{k}`: {v}" for k, v in RULES.items())
_SOURCE_HELP = "; ".join(f"`{k}`: {v}" for k, v in CLIENT_SOURCES.items())


class BankLineIn(BaseModel):
    """One credit on the bank statement."""

    model_config = ConfigDict(extra="forbid")

    line_id: Id = Field(
        max_length=MAX_LINE_ID,
        description="the bank's identifier of the line; sending it again changes nothing",
        examples=["RLV-2025-03-14-0007"],
    )
    date: Day = Field(description="date credited (YYYY-MM-DD)", examples=["2025-03-14"])
    amount: Decimal = Field(
        gt=0,
        lt=MAX_AMOUNT,
        decimal_places=2,
        description="amount credited, in currency units",
        examples=["1196.50"],
    )
    label: str = Field(
        default="",
        max_length=1_000,
        description="the bank's text: payer's name, references",
        examples=["VIR SEPA BOULANGERIE MARTIN REF F0000123"],
    )
    client_id: Id | None = Field(
        default=None,
        description="paying client when known (e.g. from a virtual IBAN); otherwise found "
        "from the label",
        examples=["C00001"],
    )
    currency: str = Field(
        default=DEFAULT_CURRENCY, pattern="^[A-Z]{3}$", description="ISO 4217 currency"
    )


class ProposalOut(BaseModel):
    """One allocation of a line to an invoice, applied or left for review."""

    line_id: str = Field(description="bank line")
    invoice_id: str | None = Field(
        description=f"invoice allocated; empty for what the line leaves unexplained (rule "
        f"`{UNALLOCATED}`)"
    )
    client_id: str | None = Field(description="client of the invoice")
    amount: float = Field(description="amount allocated, in currency units")
    rule: str = Field(description=f"what made the match: {_RULE_HELP}")
    confidence: float = Field(ge=0, le=1, description="estimated probability the match is right")
    client_from: str | None = Field(description=f"how the client was found: {_SOURCE_HELP}")
    status: str = Field(description="`applied` (a payment was written) or `review`")
    payment_id: str | None = Field(description="payment written when applied")


class LettrageOut(BaseModel):
    """What the lettrage run did with the lines sent."""

    lines: int = Field(description="lines received")
    new_lines: int = Field(description="lines not seen before")
    skipped: int = Field(description="lines already fully applied by an earlier request")
    applied: int = Field(description="allocations applied as payments now")
    applied_amount: float = Field(description="total applied now, in currency units")
    review: int = Field(description="proposals left in the review queue")
    proposals: list[ProposalOut] = Field(description="this run's proposals, line by line")


def lines_frame(lines: list[BankLineIn]) -> pd.DataFrame:
    """The lines of a request as bank lines in memory."""
    return pd.DataFrame(
        {
            "line_id": [line.line_id for line in lines],
            "date": pd.to_datetime([line.date for line in lines]).astype("datetime64[ns]"),
            "amount_cents": [decimal_to_cents(line.amount) for line in lines],
            "label": [line.label for line in lines],
            "client_id": pd.Series([line.client_id for line in lines], dtype=object),
            "currency": [line.currency for line in lines],
        }
    )


@router.post(
    "/lettrage",
    summary="Match bank lines to invoices (lettrage)",
    description="Finds the open invoices each bank line pays: invoice numbers in the label "
    "(despite spaces, prefixes, a typo), the amount against the client's open invoices (one, "
    "or several summing to it), partial payments, bank fees and rounding within 5 €, and the "
    "client from the payer's name when the line does not give it. Matches at or above "
    "`threshold` are applied at once as payments; the others wait in the review queue. "
    "Sending the same lines again applies nothing twice. New lines and payments name the "
    "key that sent them, and each run is in the audit log (`GET /v1/audit`).",
    responses={
        413: {
            "description": "more lines than the limit (`ENCOURS_MAX_BATCH`, default 10,000), "
            "or a body over `ENCOURS_MAX_BODY_BYTES`"
        },
        422: {"description": "a line id already sent with other values"},
    },
)
def lettrage(
    state: StateDep,
    writer: WriterDep,
    lines: Annotated[
        list[BankLineIn],
        Body(min_length=1, description="the bank statement's lines"),
    ],
    threshold: Annotated[
        float, Query(ge=0, le=1, description="confidence at or above which a match is applied")
    ] = 0.9,
) -> LettrageOut:
    """Propose and apply the matches of the lines sent."""
    require_batch(len(lines), state.settings.max_batch, "bank lines")
    run = services.lettrage(state.engine, lines_frame(lines), threshold, writer)
    return LettrageOut.model_validate(run.as_json())
