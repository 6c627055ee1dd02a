"""``/ui/login`` and ``/ui/logout``: an API key in, a session cookie out.

The key is checked as the API checks it (unknown, revoked, expired; the brake on wrong keys
by address) and never stored in the cookie.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from config.language import Words
from serving.api.security import client_address
from serving.api.state import AppState
from serving.pages.sessions import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    end_session,
    login_token,
    same_token,
    served_over_https,
)
from serving.pages.views import PageDep, PageError, page_language, pages_state

router = APIRouter(prefix="/ui", include_in_schema=False)
HOME = "/ui/"


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a page of ``/ui`` only (never another site)."""
    if target and target.startswith("/ui") and not target.startswith("//"):
        return target
    return HOME


def _login_form(request: Request, target: str, problem: str | None, status: int) -> Response:
    words = Words(page_language(request))
    response = HTMLResponse("")
    token = login_token(response, served_over_https(request))
    page = pages_state(request).templates.TemplateResponse(
        request,
        "login.html",
        {"w": words, "next": target, "problem": problem, "csrf_field": CSRF_FIELD, "token": token},
        status_code=status,
    )
    page.raw_headers.extend(h for h in response.raw_headers if h[0] == b"set-cookie")
    return page


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    """The sign-in form."""
    return _login_form(request, safe_next(next), None, 200)


@router.post("/login")
async def login(
    request: Request,
    api_key: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = HOME,
) -> Response:
    """Sign in with an API key: 303 to the page asked for, or the form again with why not."""
    words = Words(page_language(request))
    target = safe_next(next)
    if not same_token(csrf_token, request.cookies.get(LOGIN_CSRF_COOKIE)):
        raise PageError(403, words("The form has expired: please sign in again."))
    state: AppState = request.app.state.encours
    token = api_key.strip()
    # As the API does: a token that was a good key lately passes the brake on wrong keys.
    wait = (
        0
        if token and state.keys.known_good(token)
        else state.auth_failures.attempt(client_address(request.scope))
    )
    if wait:
        problem = words("Too many wrong keys: try again in {n} s.", n=wait)
        return _login_form(request, target, problem, 429)
    key = await run_in_threadpool(state.keys.lookup, token) if token else None
    if key is None or key.refusal(dt.datetime.now(dt.UTC)) is not None:
        return _login_form(request, target, words("This API key is not valid."), 401)
    response = RedirectResponse(target, status_code=303)
    pages_state(request).sessions.start(response, key, served_over_https(request))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/ui")
    return response


@router.post("/logout")
def logout(page: PageDep, csrf_token: Annotated[str, Form()] = "") -> Response:
    """Sign out: the session cookie is cleared."""
    if not same_token(csrf_token, page.session.csrf):
        raise PageError(403, page.words("The form has expired: please sign in again."))
    response = RedirectResponse("/ui/login", status_code=303)
    end_session(response)
    return response
