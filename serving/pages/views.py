"""What every page shares: who is signed in, its language and date, and how it is rendered.

A page route takes a :class:`Page` (``PageDep``) and returns :func:`render` of a template.
The :class:`Page` dependency checks the session: without one, the browser is sent to
``/ui/login`` (303) with the page it asked for as ``next``, and comes back after signing in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from config.language import Language, Words, language_of
from serving.api.state import AppState
from serving.api_keys import Role
from serving.pages.sessions import CSRF_FIELD, Session, SessionCodec, same_token

TEMPLATES = Path(__file__).parent / "templates"
NAV: tuple[tuple[str, str, str], ...] = (
    ("/ui/worklist", "Today's relances", "collector"),
    ("/ui/kpis", "KPIs", "viewer"),
    ("/ui/aged-balance", "Aged balance", "viewer"),
    ("/ui/forecast", "Cash-in forecast", "viewer"),
    ("/ui/prospect", "New client", "viewer"),
    ("/ui/models", "Models", "viewer"),
)
"""The pages in the menu: path, English name, least role that sees it."""
LANG_COOKIE = "encours_lang"


@dataclass
class PagesState:
    """What the pages hold while the app runs: the session codec and the templates."""

    sessions: SessionCodec
    templates: Jinja2Templates


class PageError(Exception):
    """A page that cannot be shown, answered as an HTML page with ``status`` and ``message``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_page(request: Request, exc: Exception) -> HTMLResponse:
    """The HTML page of a :class:`PageError`, in the request's language."""
    assert isinstance(exc, PageError)
    words = Words(page_language(request))
    return pages_state(request).templates.TemplateResponse(
        request, "error.html", {"w": words, "error": exc}, status_code=exc.status
    )


class SignInNeeded(Exception):
    """A page asked for without a valid session: answered by a 303 to the login page."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def sign_in_redirect(request: Request, exc: Exception) -> RedirectResponse:
    """The 303 to ``/ui/login`` that brings the browser back to the page after."""
    assert isinstance(exc, SignInNeeded)
    return RedirectResponse(f"/ui/login?{urlencode({'next': exc.next_url})}", status_code=303)


def pages_state(request: Request) -> PagesState:
    """The running app's pages state."""
    state: PagesState = request.app.state.pages
    return state


def page_language(request: Request) -> Language:
    """``?lang=`` if given, else the language chosen earlier (a cookie), else the browser's
    first (``Accept-Language``), else French."""
    chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if chosen:
        return language_of(chosen)
    accepted = request.headers.get("accept-language", "")
    return language_of(accepted.split(",")[0]) if accepted else "fr"


def page_day(request: Request) -> dt.date:
    """``?as_of=YYYY-MM-DD`` as the API reads it; today by default (400 when malformed)."""
    text = request.query_params.get("as_of")
    if not text:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        words = Words(page_language(request))
        message = words("The date must be written YYYY-MM-DD, not {text}.", text=repr(text))
        raise PageError(400, message) from None


@dataclass(frozen=True)
class Page:
    """One page request: its session, its words, its date."""

    request: Request
    session: Session
    words: Words
    as_of: dt.date
    as_of_given: bool

    def may(self, role: Role | str) -> bool:
        """Whether the signed-in key's role covers ``role``."""
        return self.session.may(Role(role))

    def link(self, path: str, **params: Any) -> str:
        """``path`` with this page's date (when chosen) and ``params`` in its query."""
        query = {"as_of": self.as_of.isoformat()} if self.as_of_given else {}
        query |= {k: v for k, v in params.items() if v not in (None, "")}
        return f"{path}?{urlencode(query)}" if query else path

    def client_link(self, prefix: str, client_id: object, **params: Any) -> str:
        """:meth:`link` to a client's page under ``prefix``: the id quoted whole (FEC
        auxiliary accounts may hold ``/``, ``&``, ``#`` or spaces)."""
        return self.link(prefix + quote(str(client_id), safe=""), **params)


async def signed_in(request: Request) -> Session:
    """The request's session when its key still lets its holder in; else the browser goes
    to the login page (:class:`SignInNeeded`)."""
    session = pages_state(request).sessions.read(request)
    if session is not None:
        state: AppState = request.app.state.encours
        key = await run_in_threadpool(state.keys.by_id, session.key_id)
        if key is not None and key.refusal(dt.datetime.now(dt.UTC)) is None:
            return Session(key.id, key.role, session.csrf)  # the key's role as it is now
    wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    raise SignInNeeded(wanted)


async def get_page(request: Request, session: Annotated[Session, Depends(signed_in)]) -> Page:
    """The :class:`Page` of a request whose session is valid."""
    return Page(
        request,
        session,
        Words(page_language(request)),
        page_day(request),
        "as_of" in request.query_params,
    )


PageDep = Annotated[Page, Depends(get_page)]


def require_page_role(page: Page, role: Role | str) -> None:
    """403 when the signed-in key's role is below ``role`` (a viewer and the worklist)."""
    if not page.may(role):
        raise PageError(403, page.words("This page needs the {role} role.", role=role))


def require_form_token(page: Page, sent: str) -> None:
    """403 when a form does not carry the session's CSRF token (a forged form)."""
    if not same_token(sent, page.session.csrf):
        raise PageError(403, page.words("The form has expired: please sign in again."))


def render(page: Page, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    """``template`` rendered for ``page``: its words ``w``, its date, its CSRF field."""
    templates = pages_state(page.request).templates
    response = templates.TemplateResponse(
        page.request,
        template,
        {"page": page, "w": page.words, "csrf_field": CSRF_FIELD, "nav": NAV, **values},
        status_code=status,
    )
    if "lang" in page.request.query_params:
        response.set_cookie(LANG_COOKIE, page.words.lang, samesite="lax", path="/ui")
    return response
