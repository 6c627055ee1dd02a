"""Ledger uses: the KPIs and the balance âgée at a date and over the last month ends, the
balance âgée per client and a client's open invoices, the lettrage of bank lines.

They read the ledger alone, no model: they take a :class:`~ledger.contract.Ledger` (a
:class:`Context`'s, in the API) so that the command line need not fit features for them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from ledger.audit import Writer
from ledger.contract import DEFAULT_CURRENCY, Ledger
from ledger.errors import UnknownClient
from ledger.kpis import (
    BUCKETS,
    DEFAULT_DOUBTFUL,
    DoubtfulDefinition,
    Kpis,
    aged_balance,
    aged_balance_by_client,
    compute_kpis,
    open_amounts,
)
from ledger.lettrage import LettrageConfig
from ledger.lettrage_store import LettrageRun, apply_lettrage


def kpis(
    ledger: Ledger,
    as_of: dt.date | None = None,
    currency: str = "EUR",
    *,
    cash: Decimal | None = None,
    short_term_debt: Decimal | None = None,
    doubtful: DoubtfulDefinition | None = None,
    recovery_period_days: int = 365,
) -> Kpis:
    """The KPIs of ``currency`` at ``as_of`` (default today), from what the ledger knew
    at the end of that day."""
    return compute_kpis(
        ledger,
        as_of or dt.date.today(),
        currency=currency,
        cash=cash,
        short_term_debt=short_term_debt,
        doubtful=doubtful or DEFAULT_DOUBTFUL,
        recovery_period_days=recovery_period_days,
    )[0]


def aged_balances(
    ledger: Ledger, as_of: dt.date | None = None, currency: str | None = None
) -> list[dict[str, Any]]:
    """The balance âgée of each currency (only ``currency`` when given) at ``as_of``
    (default today), with its ``currency`` and ``total`` (the buckets' sum)."""
    balances = aged_balance(ledger, as_of or dt.date.today(), currency)
    return [
        {
            "currency": code,
            "total": float(sum((getattr(buckets, name) for name in BUCKETS), Decimal(0))),
            **buckets.as_json(),
        }
        for code, buckets in balances.items()
    ]


def month_ends(as_of: dt.date, count: int = 12) -> list[dt.date]:
    """The last ``count`` month ends on or before ``as_of``, then ``as_of`` when it is not
    one: the dates of a trend that ends with the figures of the day."""
    ends = pd.date_range(end=pd.Timestamp(as_of), periods=count, freq="ME")
    days = [stamp.date() for stamp in ends]
    return days if days and days[-1] == as_of else [*days, as_of]


def kpis_trend(ledger: Ledger, as_of: dt.date, currency: str = "EUR") -> list[Kpis]:
    """:func:`kpis` at each of :func:`month_ends` of ``as_of``, oldest first."""
    return [kpis(ledger, day, currency) for day in month_ends(as_of)]


def aged_balance_trend(
    ledger: Ledger, as_of: dt.date, currency: str = "EUR"
) -> list[tuple[dt.date, dict[str, Any]]]:
    """:func:`aged_balances` of ``currency`` at each of :func:`month_ends` of ``as_of``."""
    return [(day, aged_balances(ledger, day, currency)[0]) for day in month_ends(as_of)]


def currencies(ledger: Ledger) -> list[str]:
    """The currencies of the ledger's invoices, sorted (EUR for a ledger with none)."""
    found = ledger.invoices["currency"].dropna().unique().tolist()
    return sorted({str(code) for code in found}) or [DEFAULT_CURRENCY]


def aged_balance_clients(ledger: Ledger, as_of: dt.date, currency: str = "EUR") -> pd.DataFrame:
    """The balance âgée of ``currency`` per client at ``as_of``, in cents, with each
    client's ``client_name`` (empty when the ledger has none): the rows whose sums are
    :func:`aged_balances`."""
    rows = aged_balance_by_client(ledger, as_of)
    rows = rows[rows["currency"] == currency].drop(columns="currency")
    names = ledger.clients.set_index("client_id")["name"] if "name" in ledger.clients else None
    rows.insert(1, "client_name", rows["client_id"].map(names) if names is not None else None)
    return rows.reset_index(drop=True)


def client_open_invoices(
    ledger: Ledger, as_of: dt.date, client_id: str, currency: str = "EUR"
) -> pd.DataFrame:
    """The documents of ``client_id`` in ``currency`` open at ``as_of`` (see
    :func:`ledger.kpis.open_amounts`), the most overdue first.

    Raises:
        UnknownClient: the ledger does not hold ``client_id``.
    """
    if client_id not in set(ledger.clients["client_id"].astype(str)):
        raise UnknownClient(client_id)
    frame = open_amounts(ledger, as_of)
    mine = frame[(frame["client_id"] == client_id) & (frame["currency"] == currency)]
    return mine.sort_values(["days_past_due", "invoice_id"], ascending=[False, True])


def lettrage(
    engine: Engine, lines: pd.DataFrame, threshold: float = 0.9, writer: Writer | None = None
) -> LettrageRun:
    """Store bank ``lines``, propose their matches, apply those at or above ``threshold``
    as payments (named after ``writer``); one transaction, nothing applied twice."""
    return apply_lettrage(engine, lines, LettrageConfig(auto_threshold=threshold), writer)
