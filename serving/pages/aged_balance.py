"""``/ui/aged-balance``: the balance âgée over the last month ends, by client, down to the
open invoices of a client.

Every figure is a service's (:mod:`serving.services.ledger`): the totals are
:func:`~serving.services.aged_balances`, as ``GET /v1/aged-balance`` gives them, and the
rows by client are :func:`~serving.services.aged_balance_clients`, whose sums they are.
The clients are shown a page at a time and a client's invoices on demand, so that no page
holds the whole ledger.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import plotly.graph_objects as go
from fastapi import APIRouter
from fastapi.responses import Response

from config.language import Words
from ledger.errors import UnknownClient
from ledger.money import cents_to_decimal
from serving import services
from serving.api.deps import SnapshotDep
from serving.pages.charts import COLOURS, base_layout, figure_json
from serving.pages.views import Page, PageDep, PageError, render

router = APIRouter(prefix="/ui", include_in_schema=False)
PAGE_ROWS = 50
INVOICE_ROWS = 100
"""The most overdue invoices a client's drill-down shows; the rest are counted."""
BUCKET_NAMES: dict[str, str] = {
    "not_due": "not due",
    "d1_30": "1–30 days",
    "d31_60": "31–60 days",
    "d61_90": "61–90 days",
    "over_90": "over 90 days",
    "non_affecte": "unapplied cash",
}
"""The columns of the balance âgée, by JSON key, in English words."""
SORTS = ("total", "over_90")


def page_currency(page: Page) -> str:
    """``?currency=`` (three capital letters, as the API takes it), EUR by default."""
    code = page.request.query_params.get("currency") or "EUR"
    if not re.fullmatch("[A-Z]{3}", code):
        raise PageError(
            400, page.words("A currency is three capital letters, not {text}.", text=repr(code))
        )
    return code


def page_number(page: Page) -> int:
    """``?page=`` as a number from 1 (400 otherwise)."""
    text = page.request.query_params.get("page") or "1"
    if not text.isdigit() or int(text) < 1:
        raise PageError(
            400, page.words("The page must be a number from 1, not {text}.", text=repr(text))
        )
    return int(text)


def trend_layout(words: Words, **more: Any) -> dict[str, Any]:
    """The layout of a chart over the month ends: one category per date, the legend above
    so that the dates may take the room they need below."""
    legend = {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"}
    margin = {"l": 60, "r": 20, "t": 60, "b": 40}
    xaxis = {"type": "category", "automargin": True}
    return base_layout(words, legend=legend, margin=margin, xaxis=xaxis, **more)


def trend_figure(words: Words, trend: list[tuple[dt.date, dict[str, Any]]]) -> str:
    """Stacked bars of the buckets at each date, unapplied cash below zero (it lowers the
    encours)."""
    days = [words.date(day) for day, _ in trend]
    figure = go.Figure()
    for (key, name), colour in zip(BUCKET_NAMES.items(), COLOURS, strict=True):
        sign = -1 if key == "non_affecte" else 1
        values = [sign * balance[key] for _, balance in trend]
        figure.add_bar(x=days, y=values, name=words(name), marker_color=colour)
    figure.update_layout(trend_layout(words, barmode="relative", yaxis={"tickformat": ",.0f"}))
    return figure_json(figure)


def client_rows(frame: Any, sort: str, number: int) -> list[dict[str, Any]]:
    """One page of the clients, sorted by ``sort`` (largest first), money as Decimal."""
    ordered = frame.sort_values([sort, "client_id"], ascending=[False, True])
    shown = ordered.iloc[(number - 1) * PAGE_ROWS : number * PAGE_ROWS]
    money = [*BUCKET_NAMES, "total"]
    return [
        {**row, **{key: cents_to_decimal(row[key]) for key in money}}
        for row in shown.astype(object).where(shown.notna(), None).to_dict("records")
    ]


@router.get("/aged-balance")
def aged_balance_page(page: PageDep, snapshot: SnapshotDep) -> Response:
    """The balance âgée at the page's date: its trend, its totals, its clients."""
    currency = page_currency(page)
    sort = page.request.query_params.get("sort") or "total"
    if sort not in SORTS:
        raise PageError(400, page.words("Unknown order: {value}.", value=sort))
    number = page_number(page)
    totals = services.aged_balances(snapshot, page.as_of, currency)[0]
    clients = services.aged_balance_clients(snapshot, page.as_of, currency)
    pages = max(1, -(-len(clients) // PAGE_ROWS))
    number = min(number, pages)
    return render(
        page,
        "aged_balance.html",
        currency=currency,
        currencies=services.currencies(snapshot),
        totals=totals,
        buckets=BUCKET_NAMES,
        figure=trend_figure(
            page.words, services.aged_balance_trend(snapshot, page.as_of, currency)
        ),
        rows=client_rows(clients, sort, number),
        matching=len(clients),
        sort=sort,
        number=number,
        pages=pages,
    )


@router.get("/aged-balance/clients/{client_id:path}")
def client_invoices(page: PageDep, snapshot: SnapshotDep, client_id: str) -> Response:
    """A client's open invoices at the page's date, the most overdue first (a fragment of the
    balance âgée with ``?part=rows``, else a page of its own)."""
    currency = page_currency(page)
    try:
        frame = services.client_open_invoices(snapshot, page.as_of, client_id, currency)
    except UnknownClient:
        raise PageError(404, page.words("Unknown client: {client}.", client=client_id)) from None
    shown = frame.head(INVOICE_ROWS)
    rows = [
        {**row, "open": cents_to_decimal(row["open_cents"])}
        for row in shown.astype(object).where(shown.notna(), None).to_dict("records")
    ]
    return render(
        page,
        "aged_invoices.html",
        client_id=client_id,
        currency=currency,
        rows=rows,
        matching=len(frame),
        whole=page.request.query_params.get("part") != "rows",
    )
