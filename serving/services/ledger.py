"""Ledger uses: the KPIs and the balance âgée at a date and over the last month ends, the
balance âgée per client and a client's open invoices, the lettrage of bank lines.

They read the ledger alone, no model: they take a :class:`~ledger.contract.Ledger` (the
command line's, which need not fit features for them) or the API's snapshot, with which
their results are kept while it is served (:func:`~serving.services.context.remembered`):
the pages ask the same figures at every load, the trends at the same month ends.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from features.pipeline import FeatureBuilder
from ledger.audit import Writer
from ledger.balance_arrays import (
    BalanceArrays,
    client_buckets_at,
    open_frame_at,
    prepare_balances,
)
from ledger.contract import DEFAULT_CURRENCY, Ledger
from ledger.days import day_number
from ledger.errors import UnknownClient
from ledger.kpis import (
    BUCKETS,
    DEFAULT_DOUBTFUL,
    AgedBalance,
    DoubtfulDefinition,
    Kpis,
    aged_balances_over,
    kpis_over,
)
from ledger.lettrage import LettrageConfig
from ledger.lettrage_store import LettrageRun, apply_lettrage
from serving.ledger_source import Snapshot
from serving.services.context import LedgerSnapshot, ledger_of, remembered


def kpis(
    source: LedgerSnapshot,
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
    day, rule = as_of or dt.date.today(), doubtful or DEFAULT_DOUBTFUL
    key = ("kpis", day, currency, cash, short_term_debt, rule, recovery_period_days)
    return remembered(
        source,
        key,
        lambda: kpis_over(
            balance_arrays(source),
            [day],
            currency,
            cash=cash,
            short_term_debt=short_term_debt,
            doubtful=rule,
            recovery_period_days=recovery_period_days,
        )[0],
    )


def balance_arrays(source: LedgerSnapshot) -> BalanceArrays:
    """The ledger of ``source`` read into arrays (:func:`ledger.balance_arrays.prepare_balances`),
    kept with a snapshot: every balance at any date reads them (about 1.9 s of CPU on a
    million invoices, then tens of milliseconds a date, against 1.6–2 s a date otherwise)."""
    return remembered(source, ("balance_arrays",), lambda: prepare_balances(ledger_of(source)))


def aged_balances(
    source: LedgerSnapshot, as_of: dt.date | None = None, currency: str | None = None
) -> list[dict[str, Any]]:
    """The balance âgée of each currency (only ``currency`` when given) at ``as_of``
    (default today), with its ``currency`` and ``total`` (the buckets' sum)."""
    day = as_of or dt.date.today()
    kept = remembered(
        source, ("aged_balances", day, currency), lambda: _aged(source, day, currency)
    )
    return [dict(row) for row in kept]  # the caller's own: the kept ones stay as made


def _aged(source: LedgerSnapshot, day: dt.date, currency: str | None) -> list[dict[str, Any]]:
    return aged_balance_rows(aged_balances_over(balance_arrays(source), [day], currency)[0])


def aged_balance_rows(balances: dict[str, AgedBalance]) -> list[dict[str, Any]]:
    """Balances âgées by currency as :func:`aged_balances` gives them: one row each, with
    its ``currency`` and ``total`` (the buckets' sum), amounts as JSON numbers."""
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


def kpis_trend(source: LedgerSnapshot, as_of: dt.date, currency: str = "EUR") -> list[Kpis]:
    """:func:`kpis` at each of :func:`month_ends` of ``as_of``, oldest first (each date's
    kept with a snapshot: a later day's trend computes only its new dates), the ledger
    read into arrays once for all of them."""
    return [kpis(_once(source), day, currency) for day in month_ends(as_of)]


def _once(source: LedgerSnapshot) -> LedgerSnapshot:
    """``source``, or for a bare ledger (nothing kept) a snapshot of it that keeps its
    arrays for the dates of one call."""
    return source if isinstance(source, Snapshot) else Snapshot(source, FeatureBuilder())


def aged_balance_trend(
    source: LedgerSnapshot, as_of: dt.date, currency: str = "EUR"
) -> list[tuple[dt.date, dict[str, Any]]]:
    """:func:`aged_balances` of ``currency`` at each of :func:`month_ends` of ``as_of``."""
    once = _once(source)
    return [(day, aged_balances(once, day, currency)[0]) for day in month_ends(as_of)]


def currencies(source: LedgerSnapshot) -> list[str]:
    """The currencies of the ledger's invoices, sorted (EUR for a ledger with none)."""
    return list(remembered(source, ("currencies",), lambda: _currencies(ledger_of(source))))


def _currencies(ledger: Ledger) -> list[str]:
    found = ledger.invoices["currency"].dropna().unique().tolist()
    return sorted({str(code) for code in found}) or [DEFAULT_CURRENCY]


def aged_balance_clients(
    source: LedgerSnapshot, as_of: dt.date, currency: str = "EUR"
) -> pd.DataFrame:
    """The balance âgée of ``currency`` per client at ``as_of``, in cents, with each
    client's ``client_name`` (empty when the ledger has none): the rows whose sums are
    :func:`aged_balances`."""
    key = ("aged_balance_clients", as_of, currency)
    return remembered(source, key, lambda: _by_client(source, as_of, currency)).copy()


def _by_client(source: LedgerSnapshot, as_of: dt.date, currency: str) -> pd.DataFrame:
    ledger = ledger_of(source)
    rows = client_buckets_at(balance_arrays(source), day_number(as_of))
    rows = rows[rows["currency"] == currency].drop(columns="currency")
    names = ledger.clients.set_index("client_id")["name"] if "name" in ledger.clients else None
    rows.insert(1, "client_name", rows["client_id"].map(names) if names is not None else None)
    return rows.reset_index(drop=True)


def open_documents(source: LedgerSnapshot, as_of: dt.date) -> pd.DataFrame:
    """:func:`ledger.kpis.open_amounts` at ``as_of``, kept with a snapshot: the balance âgée
    page's drill-downs at that date filter it (do not change it in place)."""
    return remembered(
        source,
        ("open_amounts", as_of),
        lambda: open_frame_at(balance_arrays(source), day_number(as_of)),
    )


def client_open_invoices(
    source: LedgerSnapshot, as_of: dt.date, client_id: str, currency: str = "EUR"
) -> pd.DataFrame:
    """The documents of ``client_id`` in ``currency`` open at ``as_of`` (see
    :func:`ledger.kpis.open_amounts`), the most overdue first.

    Raises:
        UnknownClient: the ledger does not hold ``client_id``.
    """
    known = source.client_ids if isinstance(source, Snapshot) else None
    if client_id not in (known or set(ledger_of(source).clients["client_id"].astype(str))):
        raise UnknownClient(client_id)
    frame = open_documents(source, as_of)
    mine = frame[(frame["client_id"] == client_id) & (frame["currency"] == currency)]
    return mine.sort_values(["days_past_due", "invoice_id"], ascending=[False, True])


def lettrage(
    engine: Engine, lines: pd.DataFrame, threshold: float = 0.9, writer: Writer | None = None
) -> LettrageRun:
    """Store bank ``lines``, propose their matches, apply those at or above ``threshold``
    as payments (named after ``writer``); one transaction, nothing applied twice."""
    return apply_lettrage(engine, lines, LettrageConfig(auto_threshold=threshold), writer)
