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

from serving.services.collection import forecast, forecast_backtest, worklist
from serving.services.context import Context, ModelUnavailable
from serving.services.ledger import aged_balance_clients, aged_balance_trend, kpis_trend
from serving.worklist_filter import WorklistFilter

logger = logging.getLogger("encours.api")

DEFAULT_CURRENCY = "EUR"
"""The currency the ledger pages open on."""


def warm_results(ctx: Context, day: dt.date | None = None) -> None:
    """Compute, and keep with ``ctx``'s snapshot, the figures the pages show at ``day``
    (default today) unless asked otherwise: the KPIs and the balance âgée at the month ends,
    the balance âgée by client, the worklist's candidates scored, the forecast (the page's
    13 weeks) and its backtest, the slowest last (the backtest's dozen forecasts take a
    minute or two at a million invoices). A use that cannot be computed (no champion
    served yet) is left for its page to explain."""
    day = day or dt.date.today()
    snapshot = ctx.snapshot
    kpis_trend(snapshot, day, DEFAULT_CURRENCY)
    aged_balance_trend(snapshot, day, DEFAULT_CURRENCY)
    aged_balance_clients(snapshot, day, DEFAULT_CURRENCY)
    for name, make in (
        ("worklist", lambda: worklist(ctx, day, filters=WorklistFilter(), offset=0, limit=1)),
        ("forecast", lambda: forecast(ctx, day, currency=DEFAULT_CURRENCY)),
        ("backtest", lambda: forecast_backtest(ctx, DEFAULT_CURRENCY)),
    ):
        try:
            make()
        except ModelUnavailable as exc:
            logger.debug("%s not computed ahead: %s", name, exc)
