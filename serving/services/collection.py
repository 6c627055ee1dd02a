"""Collection uses: the relance worklist, the cash-in forecast and its backtest.

Each result is kept with the snapshot it was computed from, under the models' versions
and what was asked (:meth:`Context.remembered`): the worklist's candidates scored once a
day and model, whatever the filters and the page; a page, a forecast, a backtest once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from serving.forecast import (
    Backtest,
    Forecast,
    Granularity,
    backtest,
    forecast_cash,
    stale_ledger_warning,
)
from serving.penalties import rates_from_settings
from serving.scenarios import current_scenarios
from serving.score_log import worklist_part
from serving.scoring import LoadedModel
from serving.services.context import Context
from serving.services.ledger import balance_arrays
from serving.uplift_actions import load_uplift
from serving.worklist import Worklist, worklist_base, worklist_page
from serving.worklist_filter import WorklistFilter, collectors
from training.models import LATE_MODEL, TIME_MODEL


@dataclass(frozen=True)
class WorklistAt:
    """The worklist at ``as_of``, ranked by the late-payment champion ``model``."""

    as_of: dt.date
    model: LoadedModel
    worklist: Worklist

    @property
    def total(self) -> int:
        """Invoices on the worklist, before the filters and the paging."""
        return self.worklist.n_candidates

    @property
    def matching(self) -> int:
        """Invoices the filters keep, before the paging: what the pages divide."""
        return self.worklist.matching

    def as_json(self, rows: int | None = None) -> dict[str, Any]:
        """The worklist as ``--json`` and the API give it: its first ``rows`` rows (all by
        default)."""
        return {
            "as_of": self.as_of.isoformat(),
            "total": self.worklist.n_candidates,
            "matching": self.worklist.matching,
            "payment_time_model": self.worklist.with_payment_time,
            "rows": self.worklist.records()[:rows],
        }


def worklist(
    ctx: Context,
    as_of: dt.date | None = None,
    *,
    limit: int | None = None,
    currency: str | None = None,
    filters: WorklistFilter | None = None,
    offset: int = 0,
) -> WorklistAt:
    """The invoices to chase at ``as_of`` (default today), largest amount at risk first:
    the scenarios of ``ENCOURS_SCENARIOS_FILE``, the penalty rates of the settings, the
    payment-time champion's dates when one is served.

    ``filters`` keep some rows before the limit; ``offset`` and ``limit`` then give one
    page of those (page ``k`` of ``n`` rows: ``offset=(k - 1) * n``, ``limit=n``).

    Raises:
        ModelUnavailable: no late-payment champion is served.
        ScenarioError: the scenarios file does not validate.
    """
    model = ctx.champion(LATE_MODEL)
    scenarios = current_scenarios(ctx.settings.scenarios_file)
    day = as_of or dt.date.today()
    time_model = ctx.served(TIME_MODEL)
    rates = rates_from_settings(ctx.settings)
    uplift_file = ctx.settings.uplift_file
    scored = (day, model.version, id(scenarios), rates, currency, uplift_file)
    base = ctx.remembered(
        ("worklist_base", *scored),
        lambda: worklist_base(
            ctx.ledger,
            ctx.features,
            model.model,
            scenarios,
            day,
            rates=rates,
            currency=currency,
            uplift=None if uplift_file is None else load_uplift(uplift_file),
        ),
    )
    timed = None if time_model is None else time_model.version
    kind = "worklist" if limit is not None else "worklist_all"  # an export: every row
    built = ctx.remembered(
        (kind, *scored, timed, filters, offset, limit),
        lambda: worklist_page(
            base,
            time_model=None if time_model is None else time_model.model,
            limit=limit,
            filters=filters,
            offset=offset,
        ),
    )
    if ctx.score_log is not None:
        ctx.score_log.keep(worklist_part(model, day, built.rows))
    return WorklistAt(day, model, built)


def worklist_collectors(ctx: Context) -> list[str]:
    """The collectors a worklist may be filtered by: the clients' ``x_collector`` values,
    sorted (none when the ledger has no such column)."""
    return collectors(ctx.ledger)


@dataclass(frozen=True)
class ForecastAt:
    """A cash-in forecast from the payment-time champion ``model``, and why it may not be
    trusted (``warnings``)."""

    model: LoadedModel
    forecast: Forecast
    warnings: list[str]

    def as_json(self) -> dict[str, Any]:
        """The forecast as ``--json`` and the API give it."""
        made = self.forecast
        return {
            "as_of": made.as_of.isoformat(),
            "currency": made.currency,
            "granularity": made.granularity,
            "encours": made.encours_cents / 100,
            "sales_12m": made.sales_12m_cents / 100,
            "open_invoices": made.n_invoices,
            "periods": made.period_records(),
            "warnings": self.warnings,
        }


def forecast(
    ctx: Context,
    as_of: dt.date | None = None,
    *,
    horizon_weeks: int = 13,
    granularity: Granularity = "week",
    currency: str = "EUR",
) -> ForecastAt:
    """Expected cash-in per period after ``as_of`` (default today) with its bands.

    Raises:
        ModelUnavailable: no payment-time champion is served.
    """
    model = ctx.champion(TIME_MODEL)
    day = as_of or dt.date.today()
    made = ctx.remembered(
        ("forecast", day, model.version, horizon_weeks, granularity, currency),
        lambda: forecast_cash(
            ctx.ledger,
            ctx.features,
            model.model,
            day,
            horizon_weeks=horizon_weeks,
            granularity=granularity,
            currency=currency,
            arrays=balance_arrays(ctx.snapshot),
        ),
    )
    warning = stale_ledger_warning(ctx.ledger, day)
    return ForecastAt(model, made, [warning] if warning else [])


def forecast_backtest(ctx: Context, currency: str = "EUR") -> Backtest:
    """Past forecasts replayed against what came in, beside two baselines.

    It depends only on the ledger snapshot, the champion and the currency, and takes
    seconds (4.5 s on a 1,466-invoice simulated ledger: a dozen forecasts with their
    features), so the result is kept while that snapshot and that champion are served: a
    page shows it every time it opens.

    Raises:
        ModelUnavailable: no payment-time champion is served.
    """
    model = ctx.champion(TIME_MODEL)
    return ctx.remembered(
        ("backtest", model.version, currency),
        lambda: backtest(
            ctx.ledger,
            ctx.features,
            model.model,
            currency=currency,
            arrays=balance_arrays(ctx.snapshot),
        ),
    )
