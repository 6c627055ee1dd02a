"""Ledger uses: the KPIs and the balance âgée at a date, the lettrage of bank lines.

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
from ledger.contract import Ledger
from ledger.kpis import (
    BUCKETS,
    DEFAULT_DOUBTFUL,
    DoubtfulDefinition,
    Kpis,
    aged_balance,
    compute_kpis,
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


def lettrage(
    engine: Engine, lines: pd.DataFrame, threshold: float = 0.9, writer: Writer | None = None
) -> LettrageRun:
    """Store bank ``lines``, propose their matches, apply those at or above ``threshold``
    as payments (named after ``writer``); one transaction, nothing applied twice."""
    return apply_lettrage(engine, lines, LettrageConfig(auto_threshold=threshold), writer)
