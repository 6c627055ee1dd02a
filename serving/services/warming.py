"""The figures the pages open on, computed as soon as a new ledger snapshot is served.

A snapshot keeps what the service functions computed from it (:mod:`serving.result_cache`),
but its first asker pays: on a million invoices the worklist's candidates take about 9 s
to score and the trends' 13 month ends seconds more. The API computes them in the
background when a snapshot comes in (at start, after a change), for the date the pages
open on by default, today, so that the morning's first page finds them made.
"""

from __future__ import annotations

import datetime as dt
import logging

from serving.services.collection import worklist
from serving.services.context import Context, ModelUnavailable
from serving.services.ledger import aged_balance_clients, aged_balance_trend, kpis_trend
from serving.worklist_filter import WorklistFilter

logger = logging.getLogger("encours.api")

DEFAULT_CURRENCY = "EUR"
"""The currency the ledger pages open on."""


def warm_results(ctx: Context, day: dt.date | None = None) -> None:
    """Compute, and keep with ``ctx``'s snapshot, the figures the pages show at ``day``
    (default today) unless asked otherwise: the worklist's candidates scored, the KPIs and
    the balance âgée at the month ends, the balance âgée by client. A use that cannot be
    computed (no champion served yet) is left for its page to explain."""
    day = day or dt.date.today()
    snapshot = ctx.snapshot
    kpis_trend(snapshot, day, DEFAULT_CURRENCY)
    aged_balance_trend(snapshot, day, DEFAULT_CURRENCY)
    aged_balance_clients(snapshot, day, DEFAULT_CURRENCY)
    try:
        worklist(ctx, day, filters=WorklistFilter(), offset=0, limit=1)
    except ModelUnavailable as exc:
        logger.debug("worklist not computed ahead: %s", exc)
