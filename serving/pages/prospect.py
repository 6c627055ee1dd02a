"""``/ui/prospect``: score a prospective client from its first order (onboarding).

The form's fields are those of ``POST /v1/clients/score`` (:class:`~serving.api.
client_schemas.OnboardingRequest` validates them, as it does the API's body) and the answer
is :func:`serving.services.prospect_score`'s, the API's. The form may be sent by GET (it
changes nothing, so a link can hold a prospect) or by POST with the session's CSRF token.
A field that does not validate is shown again with what is wrong beside it (422).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from config.language import Words
from serving import services
from serving.api.client_schemas import OnboardingRequest
from serving.api.deps import ContextDep
from serving.pages.client_charts import reasons_chart
from serving.pages.clients import component_names
from serving.pages.views import (
    Page,
    PageDep,
    PageError,
    render,
    require_form_token,
    require_page_role,
)
from serving.services import ModelUnavailable

router = APIRouter(prefix="/ui", include_in_schema=False)
CLIENT_FIELDS = ("country", "sector", "is_public_sector", "payment_terms_days", "credit_limit")
ORDER_FIELDS = ("amount", "currency", "issue_date", "due_date")
FIELDS = CLIENT_FIELDS + ORDER_FIELDS
DEFAULT_TERMS_DAYS = 30
SPACES = re.compile(r"[\s\u00a0\u202f]")
FRENCH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def field_rules(w: Words) -> dict[str, str]:
    """What each field must hold, in words: shown beside a field that does not."""
    return {
        "country": w("The country is a code of at most 64 characters, such as FR."),
        "sector": w("The sector is a text of at most 200 characters."),
        "is_public_sector": w("Public sector is ticked or not."),
        "payment_terms_days": w("Payment terms are a whole number of days, from 0 to 365."),
        "credit_limit": w("The credit limit is an amount of 0 or more, such as 50 000,00."),
        "amount": w("The amount is a number above 0 with at most 2 decimals, such as 8 400,00."),
        "currency": w("The currency is a code of 3 capital letters, such as EUR."),
        "issue_date": w("The issue date is a date, such as 01/07/2025."),
        "due_date": w("The due date is a date on or after the issue date."),
    }


def number_text(text: str) -> str:
    """A number as typed in French or English (``8 400,00``, ``8,400.00``) as Python reads it."""
    bare = SPACES.sub("", text)
    if "," in bare and "." in bare:
        bare = bare.replace(",", "")  # English thousands
    return bare.replace(",", ".")


def date_text(text: str) -> str:
    """A date typed ``31/07/2025`` as ISO; any other text as it is (ISO or wrong)."""
    found = FRENCH_DATE.match(text.strip())
    if found is None:
        return text.strip()
    day, month, year = found.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"


def request_body(fields: Mapping[str, str]) -> dict[str, Any]:
    """The JSON body of ``POST /v1/clients/score`` the form's fields make."""

    def given(name: str) -> str | None:
        value = fields.get(name, "").strip()
        return value or None

    terms, limit = given("payment_terms_days"), given("credit_limit")
    return {
        "client": {
            "country": given("country"),
            "sector": given("sector"),
            "is_public_sector": given("is_public_sector") is not None,
            "payment_terms_days": None if terms is None else number_text(terms),
            "credit_limit": None if limit is None else number_text(limit),
        },
        "first_order": {
            "amount": number_text(fields.get("amount", "")),
            "currency": (given("currency") or "EUR").upper(),
            "issue_date": date_text(fields.get("issue_date", "")),
            "due_date": date_text(fields.get("due_date", "")),
        },
    }


def field_errors(error: ValidationError, rules: dict[str, str]) -> dict[str, str]:
    """The form's fields named by ``error``, each with its rule in words (the dates' order,
    checked on the whole order, is the due date's)."""
    out: dict[str, str] = {}
    for problem in error.errors():
        names = [str(part) for part in problem["loc"] if str(part) in rules]
        name = names[-1] if names else "due_date"
        out.setdefault(name, rules[name])
    return out


def defaults(day: dt.date) -> dict[str, str]:
    """The blank form: an order issued at the page's date, due 30 days after, in euros."""
    due = day + dt.timedelta(days=DEFAULT_TERMS_DAYS)
    return {"currency": "EUR", "issue_date": day.isoformat(), "due_date": due.isoformat()}


def answer(page: Page, ctx: services.Context, fields: Mapping[str, str]) -> Response:
    """The form with the prospect's score, or with what is wrong beside each field."""
    w = page.words
    values = {name: str(fields.get(name, "")) for name in FIELDS}
    try:
        body = OnboardingRequest.model_validate(request_body(values))
    except ValidationError as error:
        errors = field_errors(error, field_rules(w))
        return render(page, "prospect.html", 422, values=values, errors=errors, made=None)
    try:
        made = services.prospect_score(ctx, body)
    except ModelUnavailable as exc:
        raise PageError(503, str(exc)) from None
    names = component_names(w)
    chart = reasons_chart(
        w, made.score, names, {"start": w("best score"), "score": w("score"), "points": w("points")}
    )
    return render(
        page,
        "prospect.html",
        values=values,
        errors={},
        made=made,
        currency=body.first_order.currency,
        names=names,
        chart=chart,
    )


@router.get("/prospect")
def prospect_form(page: PageDep, ctx: ContextDep) -> Response:
    """The onboarding form; with its fields in the query, the prospect's score too."""
    require_page_role(page, "viewer")
    query = page.request.query_params
    if "amount" not in query:
        return render(page, "prospect.html", values=defaults(page.as_of), errors={}, made=None)
    return answer(page, ctx, query)


@router.post("/prospect")
async def prospect_posted(page: PageDep, ctx: ContextDep, request: Request) -> Response:
    """The onboarding form sent by POST (with the session's CSRF token)."""
    form = await request.form()
    require_form_token(page, str(form.get("csrf_token", "")))
    require_page_role(page, "viewer")
    fields = {name: str(value) for name, value in form.items()}
    return await run_in_threadpool(answer, page, ctx, fields)
