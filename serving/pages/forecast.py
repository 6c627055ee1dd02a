"""``/ui/forecast``: the treasurer's expected cash-in with its bands, the projected encours
and DSO, and the backtest of past forecasts beside it.

The figures are :func:`serving.services.forecast`'s, as ``GET /v1/forecast`` gives them;
the backtest is :func:`serving.services.forecast_backtest`'s, as ``encours forecast
--backtest`` prints it. Without a payment-time champion the page says so (503), as the API.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
from fastapi import APIRouter
from fastapi.responses import Response

from config.language import Words
from serving import services
from serving.api.deps import ContextDep
from serving.forecast import MAX_HORIZON_WEEKS, Backtest, Granularity
from serving.pages.charts import COLOURS, base_layout, figure_json
from serving.pages.views import Page, PageDep, PageError, render, require_page_role
from serving.services import ModelUnavailable

router = APIRouter(prefix="/ui", include_in_schema=False)
GRANULARITIES: tuple[Granularity, ...] = ("week", "day")
DEFAULT_HORIZON = 13
BAND80, BAND95 = "rgba(11, 92, 173, 0.35)", "rgba(11, 92, 173, 0.15)"


def _choices(page: Page) -> tuple[Granularity, int, str]:
    """Granularity, horizon in weeks and currency asked in the query, checked as the API
    checks them (an HTML page with a 422 when one is wrong)."""
    query, w = page.request.query_params, page.words
    granularity = query.get("granularity") or "week"
    if granularity not in GRANULARITIES:
        raise PageError(422, w("Unknown period: {value}.", value=granularity))
    text = query.get("horizon_weeks") or str(DEFAULT_HORIZON)
    if not text.isdigit() or not 1 <= int(text) <= MAX_HORIZON_WEEKS:
        raise PageError(
            422,
            w("The horizon must be 1 to {n} weeks, not {value}.", n=MAX_HORIZON_WEEKS, value=text),
        )
    currency = query.get("currency") or "EUR"
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        raise PageError(422, w("Unknown currency: {value}.", value=currency))
    return granularity, int(text), currency


def unavailable(page: Page, exc: ModelUnavailable) -> PageError:
    """The 503 page of a missing (or refused) payment-time champion."""
    w = page.words
    if exc.reason:
        return PageError(
            503, w("The payment-time model cannot be served: {reason}", reason=exc.reason)
        )
    return PageError(503, w("No payment-time model is registered yet: run `encours train` first."))


@router.get("/forecast")
def forecast_page(page: PageDep, ctx: ContextDep) -> Response:
    """The forecast at the page's date, its chart and table, and the backtest beside it."""
    require_page_role(page, "viewer")
    granularity, horizon, currency = _choices(page)
    try:
        made = services.forecast(
            ctx, page.as_of, horizon_weeks=horizon, granularity=granularity, currency=currency
        )
        tested = services.forecast_backtest(ctx, currency)
    except ModelUnavailable as exc:
        raise unavailable(page, exc) from None
    periods = made.forecast.period_records()
    return render(
        page,
        "forecast.html",
        made=made,
        periods=periods,
        last=periods[-1] if periods else None,
        granularity=granularity,
        granularities=GRANULARITIES,
        horizon=horizon,
        max_horizon=MAX_HORIZON_WEEKS,
        currency=currency,
        cash_in_figure=figure_json(cash_in_chart(page.words, periods, currency)),
        tested=tested,
        backtest_figure=figure_json(backtest_chart(page.words, tested, currency)),
    )


def date_axis(w: Words) -> dict[str, str]:
    """A date axis written as the page's dates are (31/03 and 31/03/2025 in French): plotly's
    own month names are English, and its locale files are not in the plotly package."""
    if w.lang == "fr":
        return {"tickformat": "%d/%m", "hoverformat": "%d/%m/%Y"}
    return {"tickformat": "%m-%d", "hoverformat": "%Y-%m-%d"}


def cash_in_chart(w: Words, periods: list[dict[Any, Any]], currency: str) -> go.Figure:
    """Expected cash-in per period with its 95 % and 80 % bands (filled between their ends)."""
    x = [p["period_end"].isoformat() for p in periods]
    figure = go.Figure()
    for low, high, colour, name in (
        ("low95", "high95", BAND95, w("95 % band")),
        ("low80", "high80", BAND80, w("80 % band")),
    ):
        figure.add_scatter(
            x=x,
            y=[p[low] for p in periods],
            mode="lines",
            line={"width": 0},
            showlegend=False,
            hoverinfo="skip",
        )
        figure.add_scatter(
            x=x,
            y=[p[high] for p in periods],
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor=colour,
            name=name,
            hoverinfo="skip",
        )
    figure.add_scatter(
        x=x,
        y=[p["expected"] for p in periods],
        mode="lines+markers",
        line={"color": COLOURS[0], "width": 2},
        name=w("expected cash-in"),
    )
    figure.update_layout(
        base_layout(
            w,
            yaxis={"title": {"text": currency}, "rangemode": "tozero"},
            xaxis=date_axis(w),
        )
    )
    return figure


def backtest_chart(w: Words, tested: Backtest, currency: str) -> go.Figure:
    """The first week of each past forecast beside what was collected that week."""
    weeks = tested.weeks
    first = weeks[weeks["week"] == 1] if not weeks.empty else weeks
    x = [
        (pd.Timestamp(d) + pd.Timedelta(days=7)).date().isoformat() for d in first.get("as_of", [])
    ]

    def euros(column: str) -> list[float]:
        return (first[column] / 100).tolist() if not first.empty else []

    figure = go.Figure()
    figure.add_scatter(
        x=x,
        y=euros("low80_cents"),
        mode="lines",
        line={"width": 0},
        showlegend=False,
        hoverinfo="skip",
    )
    figure.add_scatter(
        x=x,
        y=euros("high80_cents"),
        mode="lines",
        line={"width": 0},
        fill="tonexty",
        fillcolor=BAND80,
        name=w("80 % band"),
        hoverinfo="skip",
    )
    for column, name, colour, dash in (
        ("model_cents", w("forecast"), COLOURS[0], "solid"),
        ("due_date_cents", w("paid on the due date"), COLOURS[2], "dot"),
        ("client_delay_cents", w("client's usual delay"), COLOURS[3], "dash"),
    ):
        figure.add_scatter(
            x=x,
            y=euros(column),
            mode="lines",
            name=name,
            line={"color": colour, "dash": dash, "width": 2},
        )
    figure.add_scatter(
        x=x,
        y=euros("actual_cents"),
        mode="markers",
        name=w("collected"),
        marker={"color": COLOURS[4], "size": 9, "symbol": "diamond"},
    )
    figure.update_layout(
        base_layout(
            w,
            yaxis={"title": {"text": currency}, "rangemode": "tozero"},
            xaxis=date_axis(w),
        )
    )
    return figure
