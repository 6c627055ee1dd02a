"""The figures the pages open on, computed as soon as a new ledger snapshot is served.

A snapshot keeps what the service functions computed from it (:mod:`serving.result_cache`),
but its first asker pays: on a million invoices the worklist's candidates take about 9 s
to score, the forecast's backtest a dozen forecasts of several seconds each. The API
computes them in the background when a snapshot comes in (at start, after a change), for
the date the pages open on by default, today, so that the morning's first page finds
them made.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from serving.services.collection import forecast, forecast_backtest, worklist
from serving.services.context import Context, ModelUnavailable
from serving.services.ledger import aged_balance_clients, aged_balance_trend, kpis_trend
from serving.services.monitoring import kept_monitoring, watched_day
from serving.worklist_filter import WorklistFilter

logger = logging.getLogger("encours.api")

DEFAULT_CURRENCY = "EUR"
"""The currency the ledger pages open on."""


def warm_results(ctx: Context, day: dt.date | None = None, engine: Engine | None = None) -> None:
    """Compute, and keep with ``ctx``'s snapshot, the figures the pages show at ``day``
    (default today) unless asked otherwise: the KPIs and the balance âgée at the month ends,
    the balance âgée by client, the worklist's candidates scored, the forecast (the page's
    13 weeks), the models page's monitoring (with ``engine``, where the scores given are
    logged) and the forecast's backtest, the slowest last (its dozen forecasts take a
    minute or two at a million invoices). A use that cannot be computed (no champion
    served yet, a database that cannot be read) is left for its page to explain."""
    day = day or dt.date.today()
    snapshot = ctx.snapshot
    kpis_trend(snapshot, day, DEFAULT_CURRENCY)
    aged_balance_trend(snapshot, day, DEFAULT_CURRENCY)
    aged_balance_clients(snapshot, day, DEFAULT_CURRENCY)
    uses: list[tuple[str, Callable[[], object]]] = [
        ("worklist", lambda: worklist(ctx, day, filters=WorklistFilter(), offset=0, limit=1)),
        ("forecast", lambda: forecast(ctx, day, currency=DEFAULT_CURRENCY)),
    ]
    if engine is not None:
        uses.append(("monitoring", lambda: kept_monitoring(ctx, engine, watched_day(ctx.ledger))))
    uses.append(("backtest", lambda: forecast_backtest(ctx, DEFAULT_CURRENCY)))
    for name, make in uses:
        try:
            make()
        except (ModelUnavailable, SQLAlchemyError) as exc:
            logger.debug("%s not computed ahead: %s", name, exc)
