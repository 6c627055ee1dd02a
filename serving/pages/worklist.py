"""``/ui/worklist``: the collector's relances du jour, an action logged in place, the files.

The rows are :func:`serving.services.worklist`'s, as ``GET /v1/worklist`` gives them; the
page shows one page of them at a time, and an action goes through
:func:`serving.services.record_action`, as ``POST /v1/actions`` does.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from config.language import PROFILE_WORDS, Words
from features.registry import REGISTRY
from ledger.audit import Writer
from ledger.errors import UnknownInvoice
from serving import services
from serving.api.deps import ContextDep, SnapshotDep, StateDep
from serving.exports import write_csv, write_excel
from serving.pages.views import (
    Page,
    PageDep,
    PageError,
    render,
    require_form_token,
    require_page_role,
)
from serving.services import ModelUnavailable
from serving.worklist_filter import BUCKETS, WorklistFilter

router = APIRouter(prefix="/ui", include_in_schema=False)
PAGE_ROWS = 50
CHANNELS = ("email", "call", "letter", "formal_notice", "legal")
OUTCOMES = ("promise_to_pay", "dispute", "no_answer", "paid")
REREAD_WAIT_SECONDS = 5.0
"""How long an action waits for the ledger to be reread, so that its row moves at once."""


@router.get("/")
def home(page: PageDep) -> RedirectResponse:
    """A collector starts on the worklist; a viewer, who has none, on the KPIs."""
    target = "/ui/worklist" if page.may("collector") else "/ui/kpis"
    return RedirectResponse(page.link(target), status_code=303)


@dataclass(frozen=True)
class Filters:
    """The worklist filters of a page's query, as the form sends them (empty: no filter)."""

    profile: str = ""
    bucket: str = ""
    client: str = ""
    collector: str = ""
    min_amount: str = ""

    def service(self, words: Words) -> WorklistFilter:
        """The service's filter, or the page that says which field is wrong."""
        try:
            amount = float(self.min_amount.replace(",", ".")) if self.min_amount else None
        except ValueError:
            raise PageError(422, words("The least amount must be a number.")) from None
        try:
            return WorklistFilter(
                self.profile or None,
                cast(Any, self.bucket or None),
                self.client.strip() or None,
                self.collector or None,
                amount,
            )
        except ValueError:
            raise PageError(422, words("Unknown age bucket: {value}.", value=self.bucket)) from None

    def query(self) -> dict[str, str]:
        """The filters as query parameters (empty ones left out)."""
        return {k: v for k, v in asdict(self).items() if v}


FiltersDep = Annotated[Filters, Depends()]


@router.get("/worklist")
def worklist_page(
    page: PageDep,
    ctx: ContextDep,
    filters: FiltersDep,
    number: Annotated[int, Query(alias="page", ge=1)] = 1,
    done: str | None = None,
) -> Response:
    """One page of the ranked worklist, filtered."""
    require_page_role(page, "collector")
    chosen = filters.service(page.words)
    made = _worklist(page, ctx, chosen, offset=(number - 1) * PAGE_ROWS, limit=PAGE_ROWS)
    pages = max(1, -(-made.matching // PAGE_ROWS))
    shown = made.worklist.export_frame().astype(object)
    shown = shown.where(shown.notna(), None)  # missing figures as None, not NaN or NaT
    return render(
        page,
        "worklist.html",
        made=made,
        rows=shown.to_dict("records"),
        number=min(number, pages),
        pages=pages,
        done=done,
        filters=filters,
        query=filters.query(),
        profiles=PROFILE_WORDS,
        buckets=BUCKETS,
        collectors=services.worklist_collectors(ctx),
        channels=CHANNELS,
        outcomes=OUTCOMES,
    )


def _worklist(
    page: Page,
    ctx: services.Context,
    filters: WorklistFilter | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> services.WorklistAt:
    """The worklist at the page's date, or the page that says why there is none."""
    try:
        return services.worklist(ctx, page.as_of, filters=filters, offset=offset, limit=limit)
    except ModelUnavailable as exc:
        raise PageError(503, str(exc)) from None


@router.get("/worklist/reasons/{invoice_id}")
def reasons(page: PageDep, ctx: ContextDep, invoice_id: str) -> Response:
    """The top reasons of an invoice's late-payment score, as a fragment of the worklist."""
    require_page_role(page, "collector")
    try:
        scored = services.score_stored(ctx, invoice_id, page.as_of, explain=True)
    except UnknownInvoice as exc:
        raise PageError(404, str(exc)) from None
    except ModelUnavailable as exc:
        raise PageError(503, str(exc)) from None
    found = scored.scores.reasons[0] if scored.scores.reasons else []
    shown = [
        (
            REGISTRY[r.feature].describe(page.words.lang)
            if r.feature in REGISTRY
            else r.description,
            r,
        )
        for r in found
    ]
    return render(page, "reasons.html", reasons=shown)


@router.post("/worklist/actions")
async def log_action(
    page: PageDep,
    state: StateDep,
    snapshot: SnapshotDep,
    invoice_id: Annotated[str, Form()],
    channel: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()] = "",
    outcome: Annotated[str, Form()] = "",
    promised_date: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "/ui/worklist",
) -> Response:
    """Record an action from the worklist, then show the worklist again, the ledger reread."""
    require_form_token(page, csrf_token)
    require_page_role(page, "collector")
    action = _action(page, invoice_id, channel, outcome, promised_date)
    writer = Writer(
        key_id=page.session.key_id,
        role=page.session.role.value,
        method="POST",
        route="/ui/worklist/actions",
        at=dt.datetime.now(dt.UTC),
    )
    try:
        await run_in_threadpool(services.record_action, state.engine, snapshot, action, writer)
    except (UnknownInvoice, services.ActionBeforeInvoice) as exc:
        raise PageError(422, str(exc)) from None
    await run_in_threadpool(state.ledger.reread_soon, REREAD_WAIT_SECONDS)
    target = back if back.startswith("/ui/") else "/ui/worklist"
    joiner = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{joiner}done={invoice_id}", status_code=303)


def _action(
    page: Page, invoice_id: str, channel: str, outcome: str, promised: str
) -> services.Action:
    """The action a form describes, or the page that says which field is wrong."""
    w = page.words
    if channel not in CHANNELS:
        raise PageError(422, w("Unknown action: {value}.", value=channel))
    if outcome and outcome not in OUTCOMES:
        raise PageError(422, w("Unknown outcome: {value}.", value=outcome))
    try:
        promised_date = dt.date.fromisoformat(promised) if promised else None
    except ValueError:
        raise PageError(422, w("The promised date must be a date.")) from None
    if outcome == "promise_to_pay" and promised_date is None:
        raise PageError(422, w("A promise to pay needs its date."))
    return services.Action(
        invoice_id, page.as_of, channel, outcome or None, promised_date if outcome else None
    )


@router.get("/worklist/export")
def export(
    page: PageDep,
    ctx: ContextDep,
    filters: FiltersDep,
    file_format: Annotated[str, Query(alias="format", pattern="^(csv|xlsx)$")] = "csv",
) -> Response:
    """The whole worklist as a CSV or Excel file, in the page's language conventions."""
    require_page_role(page, "collector")
    frame = _worklist(page, ctx, filters.service(page.words)).worklist.export_frame()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"relances.{file_format}"
        (write_csv if file_format == "csv" else write_excel)(frame, path, page.words.lang)
        content = path.read_bytes()
    media = (
        "text/csv; charset=utf-8"
        if file_format == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    name = f"relances-{page.as_of.isoformat()}.{file_format}"
    return Response(
        content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
