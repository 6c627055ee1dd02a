"""``/ui/clients/{client_id}``: the client's sheet (fiche client).

Its figures are :func:`serving.services.client_sheet`'s: the score, grade and reasons of
``GET /v1/clients/{id}/risk`` (the same :func:`serving.services.client_risk`), the open
invoices' predictions of ``GET /v1/invoices/{id}``, the payment history and relances of
the ledger at the page's date, and the terms the onboarding rule gives the grade.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from config.language import Words
from ledger.errors import UnknownClient
from serving import services
from serving.api.deps import ContextDep
from serving.pages.client_charts import history_chart, reasons_chart, trend_chart
from serving.pages.views import PageDep, PageError, render, require_page_role
from serving.services import ModelUnavailable

router = APIRouter(prefix="/ui", include_in_schema=False)
ACTIONS_SHOWN = 30
"""The latest relances listed; older ones are counted."""


def component_names(w: Words) -> dict[str, str]:
    """The risk score's components, in words."""
    return {
        "late_share": w("expected late share"),
        "days_late": w("days late so far"),
        "exposure": w("owed against the credit limit"),
        "trend": w("slowing down"),
    }


def charts(w: Words, sheet: services.ClientSheet) -> dict[str, str]:
    """The sheet's three charts as the ``chart`` macro takes them."""
    score = w("score")
    return {
        "trend": trend_chart(
            w,
            sheet.trend,
            {
                "score": score,
                "hover": w("%{x}: score %{y:.1f} (grade %{text})") + "<extra></extra>",
            },
        ),
        "reasons": reasons_chart(
            w,
            sheet.risk.score,
            component_names(w),
            {"start": w("best score"), "score": score, "points": w("points")},
        ),
        "history": history_chart(
            w,
            sheet.settled,
            {
                "on_time": w("paid on time or early"),
                "late": w("paid late"),
                "days": w("days late"),
                "hover": w("%{text} paid %{x}: %{y} days late") + "<extra></extra>",
            },
        ),
    }


def records(frame: Any) -> list[dict[str, Any]]:
    """A frame's rows as dictionaries, missing values as None (not NaN or NaT)."""
    shown = frame.astype(object)
    return list(shown.where(shown.notna(), None).to_dict("records"))


@router.get("/clients/{client_id:path}")
def client_page(page: PageDep, ctx: ContextDep, client_id: str) -> Response:
    """The client's sheet at the page's date."""
    require_page_role(page, "viewer")
    try:
        sheet = services.client_sheet(ctx, client_id, page.as_of)
    except UnknownClient:
        raise PageError(404, page.words("No client {id} in the ledger.", id=client_id)) from None
    except ModelUnavailable as exc:
        raise PageError(503, str(exc)) from None
    return render(
        page,
        "client.html",
        sheet=sheet,
        charts=charts(page.words, sheet),
        names=component_names(page.words),
        open_rows=records(sheet.open_invoices),
        open_totals=sheet.open_invoices.groupby("currency")["open"].sum().to_dict(),
        actions=records(sheet.actions.head(ACTIONS_SHOWN)),
        more_actions=max(0, len(sheet.actions) - ACTIONS_SHOWN),
        settled=sheet.settled,
    )
