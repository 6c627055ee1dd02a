"""The client's sheet (fiche client): everything a credit manager reads about one client at
one date, from the same uses as the API's.

Its score and reasons are :func:`~serving.services.clients.client_risk`'s (``GET
/v1/clients/{id}/risk``), its open invoices' predictions :func:`~serving.services.scores.
score_invoices`' on the ledger's rows (``GET /v1/invoices/{id}``); its payment history and
relances are read off the ledger as they stood at the date, nothing after it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from ledger.balances import open_amounts
from serving.risk_score import Terms, suggested_limit, suggested_terms
from serving.scoring import DATE_COLUMNS
from serving.services.clients import ClientRisk, client_risk, own_rows
from serving.services.context import Context
from serving.services.scores import score_invoices
from training.models import TIME_MODEL

TREND_MONTHS = 12
"""Month ends the score is shown at, the last one on or before the date."""
DATES_SHOWN = {"expected": "expected_payment_date", "p10": "p10_date", "p90": "p90_date"}
"""The payment dates of :class:`~serving.scoring.InvoiceScores` the sheet shows, by column."""
LIMIT_MONTHS = 12
"""Months of invoicing whose monthly mean stands for the onboarding rule's first order."""


@dataclass(frozen=True)
class ScoreAt:
    """The client's risk score at one past date."""

    day: dt.date
    score: float
    grade: str


@dataclass(frozen=True)
class Suggestion:
    """Terms and credit limit for the client's grade, by the onboarding rule
    (:data:`serving.risk_score.TERMS`), a month of the client's invoicing standing for the
    first order."""

    terms: Terms
    monthly_invoicing: Decimal | None
    """Mean invoiced a month over the last :data:`LIMIT_MONTHS` months (None: no invoice)."""
    credit_limit: Decimal | None
    currency: str


@dataclass(frozen=True)
class ClientSheet:
    """One client at one date: who, how risky and why, what is open, how it has paid."""

    risk: ClientRisk
    client: dict[str, object]
    """The client's row of the ledger (name, country, terms, credit limit…)."""
    trend: list[ScoreAt]
    open_invoices: pd.DataFrame
    """Open invoices, most overdue first: ``invoice_id``, ``issue_date``, ``due_date``,
    ``currency``, ``amount``, ``open``, ``days_past_due``, ``disputed``, ``p_late``,
    ``expected_payment_date``, ``p10_date``, ``p90_date`` (NaT without a payment-time model)."""
    settled: pd.DataFrame
    """Invoices settled on or before the date: ``invoice_id``, ``due_date``, ``paid_date``,
    ``amount``, ``currency``, ``days_late`` (negative: early), by payment date."""
    actions: pd.DataFrame
    """Relances on the client's invoices on or before the date, latest first: ``invoice_id``,
    ``action_date``, ``channel``, ``outcome``, ``promised_date``."""
    suggestion: Suggestion


def month_ends(as_of: dt.date, months: int = TREND_MONTHS) -> list[dt.date]:
    """The last ``months`` month ends on or before ``as_of``, oldest first."""
    last = pd.Timestamp(as_of) + pd.offsets.MonthEnd(0)
    if last.date() > as_of:
        last -= pd.offsets.MonthEnd(1)
    return [d.date() for d in pd.date_range(end=last, periods=months, freq="ME")]


def risk_trend(ctx: Context, client_id: str, as_of: dt.date) -> list[ScoreAt]:
    """The client's score at the last :data:`TREND_MONTHS` month ends (as ``GET
    /v1/clients/{id}/risk?as_of=`` each of them would give it); the dates before the ledger's
    first invoice are left out."""
    first = ctx.ledger.invoices["issue_date"].min()
    out = []
    for day in month_ends(as_of):
        if pd.isna(first) or pd.Timestamp(day) < first:
            continue
        made = client_risk(ctx, client_id, day)
        out.append(ScoreAt(day, made.score.score, made.score.grade))
    return out


def _money(cents: pd.Series) -> pd.Series:
    """Cents as Decimal amounts (exact, as the API gives them)."""
    return cents.map(lambda c: Decimal(int(c)).scaleb(-2))


def open_invoices(ctx: Context, client_id: str, as_of: dt.date) -> pd.DataFrame:
    """The client's open invoices at ``as_of`` with the models' predictions on the ledger's
    own rows, as :func:`~serving.services.score_stored` gives them one by one."""
    own = own_rows(ctx, client_id)
    docs = open_amounts(own, as_of)
    mine = docs[
        (docs["client_id"] == client_id)
        & (docs["doc_type"] == "invoice")
        & (docs["open_cents"] > 0)
    ].sort_values(["days_past_due", "invoice_id"], ascending=[False, True])
    out = pd.DataFrame(
        {
            "invoice_id": mine["invoice_id"].astype(str),
            "issue_date": mine["issue_date"],
            "due_date": mine["due_date"],
            "currency": mine["currency"].astype(str),
            "amount": _money(mine["amount_cents"]),
            "open": _money(mine["open_cents"]),
            "days_past_due": mine["days_past_due"].astype(int),
            "disputed": mine["disputed"].astype(bool),
        }
    ).reset_index(drop=True)
    out["p_late"] = pd.Series(dtype="float64")
    for name in DATES_SHOWN.values():
        out[name] = pd.Series(dtype="datetime64[ns]")
    if mine.empty:
        return out
    rows = own.invoices.loc[mine.index].reset_index(drop=True)
    scores = score_invoices(ctx, rows, as_of, explain=False)
    out["p_late"] = scores.p_late
    if scores.dates is not None:
        for column, name in DATES_SHOWN.items():
            out[name] = pd.to_datetime(scores.dates[:, DATE_COLUMNS.index(column)])
    return out


def settled_invoices(ctx: Context, client_id: str, as_of: dt.date) -> pd.DataFrame:
    """The client's invoices settled on or before ``as_of`` and their days late (the
    payment date less the due date, as the history features count them)."""
    invoices = own_rows(ctx, client_id).invoices
    paid = invoices[
        (invoices["client_id"] == client_id)
        & (invoices["doc_type"] == "invoice")
        & (invoices["paid_date"] <= pd.Timestamp(as_of))
    ].sort_values(["paid_date", "invoice_id"])
    return pd.DataFrame(
        {
            "invoice_id": paid["invoice_id"].astype(str),
            "due_date": paid["due_date"],
            "paid_date": paid["paid_date"],
            "amount": _money(paid["amount_cents"]),
            "currency": paid["currency"].astype(str),
            "days_late": (paid["paid_date"] - paid["due_date"]).dt.days.astype(int),
        }
    ).reset_index(drop=True)


def client_actions(ctx: Context, client_id: str, as_of: dt.date) -> pd.DataFrame:
    """The relances logged on the client's invoices on or before ``as_of``, latest first."""
    own = own_rows(ctx, client_id)
    ids = own.invoices["invoice_id"]
    actions = own.actions
    mine = actions[
        actions["invoice_id"].isin(ids) & (actions["action_date"] <= pd.Timestamp(as_of))
    ]
    columns = ["invoice_id", "action_date", "channel", "outcome", "promised_date"]
    return mine.sort_values(["action_date", "invoice_id"], ascending=[False, True])[
        columns
    ].reset_index(drop=True)


def suggestion(ctx: Context, client_id: str, as_of: dt.date, grade: str) -> Suggestion:
    """Terms and credit limit for ``grade``: the onboarding rule's, the client's mean monthly
    invoicing over the last :data:`LIMIT_MONTHS` months (in its main currency) standing for
    the first order; no limit for a client invoiced nothing in that time."""
    invoices = own_rows(ctx, client_id).invoices
    mine = invoices[invoices["doc_type"] == "invoice"]
    currencies = mine["currency"].mode()
    currency = str(currencies.iat[0]) if len(currencies) else "EUR"
    end = pd.Timestamp(as_of)
    recent = mine[
        (mine["currency"] == currency)
        & (mine["issue_date"] <= end)
        & (mine["issue_date"] > end - pd.DateOffset(months=LIMIT_MONTHS))
    ]
    cents = int(recent["amount_cents"].sum())
    if cents == 0:
        return Suggestion(suggested_terms(grade), None, None, currency)
    monthly = (Decimal(cents).scaleb(-2) / LIMIT_MONTHS).quantize(Decimal("0.01"))
    return Suggestion(suggested_terms(grade), monthly, suggested_limit(grade, monthly), currency)


def _client_row(ctx: Context, client_id: str) -> dict[str, object]:
    """The client's row of the ledger, missing values as None."""
    row = own_rows(ctx, client_id).clients.iloc[0]
    out: dict[str, object] = {}
    for name, value in row.items():
        missing = value is None or (not isinstance(value, str) and bool(np.all(pd.isna(value))))
        out[str(name)] = None if missing else value
    cents = out.get("credit_limit_cents")
    out["credit_limit"] = None if cents is None else Decimal(int(str(cents))).scaleb(-2)
    return out


def client_sheet(ctx: Context, client_id: str, as_of: dt.date | None = None) -> ClientSheet:
    """The client's sheet at ``as_of`` (default today).

    Raises:
        UnknownClient: the ledger does not hold ``client_id`` (told before any model).
        ModelUnavailable: no late-payment champion is served.
    """
    risk = client_risk(ctx, client_id, as_of)
    timed = ctx.served(TIME_MODEL)
    key = ("client_sheet", client_id, risk.as_of, risk.model.version, timed and timed.version)
    return ctx.remembered(key, lambda: _sheet(ctx, risk))


def _sheet(ctx: Context, risk: ClientRisk) -> ClientSheet:
    """The sheet of ``risk``'s client at its date (see :func:`client_sheet`)."""
    client_id, day = risk.client_id, risk.as_of
    return ClientSheet(
        risk=risk,
        client=_client_row(ctx, client_id),
        trend=risk_trend(ctx, client_id, day),
        open_invoices=open_invoices(ctx, client_id, day),
        settled=settled_invoices(ctx, client_id, day),
        actions=client_actions(ctx, client_id, day),
        suggestion=suggestion(ctx, client_id, day, risk.score.grade),
    )
