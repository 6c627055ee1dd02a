"""``/ui/kpis``: the encours client and its parts, the DSO, the taux de recouvrement and of
créances douteuses at a date, and their trend over the last month ends.

The figures are :func:`serving.services.kpis`'s, as ``GET /v1/kpis`` gives them, and the
trend is the same function at each month end (:func:`serving.services.kpis_trend`).
"""

from __future__ import annotations

import plotly.graph_objects as go
from fastapi import APIRouter
from fastapi.responses import Response

from config.language import Words
from ledger.kpis import Kpis
from serving import services
from serving.api.deps import SnapshotDep
from serving.pages.aged_balance import page_currency, trend_layout
from serving.pages.charts import COLOURS, figure_json
from serving.pages.views import PageDep, render

router = APIRouter(prefix="/ui", include_in_schema=False)
PARTS: tuple[tuple[str, str, int], ...] = (
    ("echu", "overdue", 1),
    ("non_echu", "not yet due", 1),
    ("a_emettre", "to be invoiced", 1),
    ("effets_escomptes_non_echus", "discounted bills not yet due", 1),
    ("avances", "advances and deposits", -1),
    ("non_affecte", "unapplied cash", -1),
)
"""The parts of the encours client: JSON key, English words, sign in the encours."""
DSO_LINES = (("dso", "DSO", COLOURS[0]), ("dso_countback", "count-back DSO", COLOURS[3]))


def amounts_figure(words: Words, trend: list[Kpis]) -> str:
    """The parts of the encours stacked at each date (what lowers it below zero), and the
    encours client as a line."""
    days = [words.date(k.as_of) for k in trend]
    figure = go.Figure()
    for (key, name, sign), colour in zip(PARTS, COLOURS, strict=True):
        values = [sign * float(getattr(k, key)) for k in trend]
        figure.add_bar(x=days, y=values, name=words(name), marker_color=colour)
    encours = [float(k.encours) for k in trend]
    figure.add_scatter(
        x=days, y=encours, name=words("encours client"), mode="lines+markers", line_color="#1b1f24"
    )
    figure.update_layout(trend_layout(words, barmode="relative", yaxis={"tickformat": ",.0f"}))
    return figure_json(figure)


def days_figure(words: Words, trend: list[Kpis]) -> str:
    """The DSO (the trade's formula) and the count-back DSO at each date, in days."""
    days = [words.date(k.as_of) for k in trend]
    figure = go.Figure()
    for key, name, colour in DSO_LINES:
        values = [getattr(k, key) for k in trend]
        line = {"color": colour}
        figure.add_scatter(x=days, y=values, name=words(name), mode="lines+markers", line=line)
    yaxis = {"title": {"text": words("days")}, "rangemode": "tozero"}
    figure.update_layout(trend_layout(words, yaxis=yaxis))
    return figure_json(figure)


@router.get("/kpis")
def kpis_page(page: PageDep, snapshot: SnapshotDep) -> Response:
    """The KPIs of one currency at the page's date and at the last twelve month ends."""
    currency = page_currency(page)
    trend = services.kpis_trend(snapshot, page.as_of, currency)
    return render(
        page,
        "kpis.html",
        currency=currency,
        currencies=services.currencies(snapshot),
        kpis=trend[-1],  # services.kpis at the page's date, the trend's last point
        parts=PARTS,
        trend=trend,
        amounts=amounts_figure(page.words, trend),
        days=days_figure(page.words, trend),
    )
