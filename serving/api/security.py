"""Who may call what: API keys checked before a request's body is read.

Each router or route declares the least role it lets in with a dependency,
``require_role("collector")``. :class:`KeyGate`, a pure ASGI middleware, finds the route a
request is for and checks its key against that role *before* calling the app: FastAPI reads
and parses the body before it resolves dependencies, so a stranger could otherwise make the
service read 35 MB, or answer 422 about a JSON error, before being told "no key". The
dependency then finds the key the gate checked in the request's state, and keeps the route's
role in its signature, where the OpenAPI schema reads it.

The role a dependency asks for is kept on the dependency (:attr:`RequireRole.min_role`, read by
:func:`route_role`) and written into the OpenAPI schema (:func:`with_security`) as the role
names of the route's security requirement (OpenAPI 3.1 allows role names for non-OAuth
schemes).

The key is read from both headers directly rather than through FastAPI's ``HTTPBearer`` and
``APIKeyHeader`` sub-dependencies: each sub-dependency costs a resolution on every request,
and together they were a sixth of the CPU of the busiest route. Those two classes still
describe the schemes in the schema.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, params
from fastapi.dependencies.models import Dependant
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from fastapi.security import APIKeyHeader, HTTPBearer
from fastapi.security.base import SecurityBase
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from ledger.audit import Writer
from ledger.storage import database_busy
from serving.api.problems import PROBLEM_JSON, problem
from serving.api.state import AppState
from serving.api_keys import UNKNOWN_KEY, ApiKey, Role

logger = logging.getLogger("encours.api")

_HOW = "send it as `Authorization: Bearer <key>` or `X-API-Key: <key>`"
_bearer = HTTPBearer(
    scheme_name="bearer",
    description="an API key made by `encours keys create --role ROLE`, as a bearer token",
    auto_error=False,
)
_header = APIKeyHeader(
    name="X-API-Key",
    scheme_name="apiKey",
    description="the same API key, in the `X-API-Key` header",
    auto_error=False,
)
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="encours"'}

AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {
        "description": "no API key, or an unknown, revoked or expired one",
        "content": {PROBLEM_JSON: {}},
        "headers": {
            "WWW-Authenticate": {
                "description": "the scheme to authenticate with",
                "schema": {"type": "string", "examples": ['Bearer realm="encours"']},
            }
        },
    },
    403: {"description": "the API key's role is below the route's", "content": {PROBLEM_JSON: {}}},
    429: {
        "description": "too many wrong API keys from this address lately "
        "(`ENCOURS_AUTH_FAILURES_PER_MINUTE`)",
        "content": {PROBLEM_JSON: {}},
        "headers": {
            "Retry-After": {
                "description": "seconds to wait before trying a key again",
                "schema": {"type": "integer"},
            }
        },
    },
}
"""The answers of the key check, for the ``responses`` of every router that declares a role."""


API_KEY_STATE = "encours_api_key"
"""Where :class:`KeyGate` leaves the checked key, in the request's ``scope["state"]``."""


@dataclass(frozen=True)
class Refusal:
    """Why a request's key does not let it in: a status, a reason, and headers to send."""

    status: int
    detail: str
    headers: dict[str, str] | None = None

    def response(self) -> JSONResponse:
        """The refusal as a problem+json response."""
        return problem(self.status, self.detail, headers=self.headers)

    def exception(self) -> HTTPException:
        """The refusal as the exception a dependency raises."""
        return HTTPException(self.status, self.detail, headers=self.headers)


async def check_key(state: AppState, scope: Scope, needed: Role) -> ApiKey | Refusal:
    """The key of the request ``scope`` when it may call a route of role ``needed``; else
    why not: 401 without a valid key, 403 when its role is too low, 429 while its address
    has failed too often (``Settings.auth_failures_per_minute``).

    A key checked within ``Settings.api_key_cache_seconds`` is not asked of the database
    again (the query is in the thread pool: it may wait on the database). An address over
    its failures is refused before any query, unless it sends a token that was a good key
    within the hour (:meth:`KeyCache.known_good`): that one is checked as usual.
    """
    token = sent_token(scope["headers"])
    if not token:
        return Refusal(401, f"an API key is needed: {_HOW}", CHALLENGE)
    cached, key = state.keys.recent(token)
    now = dt.datetime.now(dt.UTC)
    if key is None or key.refusal(now) is not None:
        address = client_address(scope)
        # Others' wrong keys from the same address (a proxy) do not hold back a good key.
        wait = 0 if state.keys.known_good(token) else state.auth_failures.attempt(address)
        if wait:
            return Refusal(
                429,
                f"too many wrong API keys from {address}: try again in {wait} s",
                {"Retry-After": str(wait)},
            )
        if not cached:
            try:
                key = await run_in_threadpool(state.keys.lookup, token)
            except SQLAlchemyError as exc:  # no database, no way to tell a key from a guess
                logger.warning("cannot check an API key: %s", exc)
                state_of = "busy" if database_busy(exc) else "unreachable"
                retry = {"Retry-After": str(state.settings.db_retry_after_seconds)}
                return Refusal(503, f"cannot check the API key: database {state_of}", retry)
        why = UNKNOWN_KEY if key is None else key.refusal(now)
        if why is not None:
            return Refusal(401, why, CHALLENGE)
    assert key is not None
    if not key.role.covers(needed):
        return Refusal(
            403,
            f"this needs the {needed} role or above; API key {key.id} has the {key.role} role",
        )
    return key


def client_address(scope: Scope) -> str:
    """The client's address as the server sees it (behind a proxy, the proxy's, unless
    uvicorn is told to trust its ``X-Forwarded-For``)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


@dataclass(frozen=True)
class RequireRole:
    """The dependency that lets through keys of ``min_role`` or above; it returns the key."""

    min_role: Role

    async def __call__(self, request: Request) -> ApiKey:
        """The caller's key: the one :class:`KeyGate` checked, else checked here."""
        key = request.scope.get("state", {}).get(API_KEY_STATE)
        if isinstance(key, ApiKey) and key.role.covers(self.min_role):
            return key
        state: AppState = request.app.state.encours
        checked = await check_key(state, request.scope, self.min_role)
        if isinstance(checked, Refusal):
            raise checked.exception()
        request.scope.setdefault("state", {})[API_KEY_STATE] = checked
        return checked


async def get_writer(request: Request) -> Writer:
    """Who writes through this request: its key (checked by then), the route, the time."""
    key = request.scope.get("state", {}).get(API_KEY_STATE)
    route = getattr(request.scope.get("route"), "path_format", None) or request.url.path
    return Writer(
        key_id=key.id if isinstance(key, ApiKey) else None,
        role=key.role.value if isinstance(key, ApiKey) else None,
        method=request.method,
        route=route,
        at=dt.datetime.now(dt.UTC),
    )


WriterDep = Annotated[Writer, Depends(get_writer)]
"""The writer of a write route, for the rows it stamps and its audit entry."""


class KeyGate:
    """Checks the key of each request to a route that needs one before the app reads it.

    The route is found as the router finds it (the first route whose path and method
    match); its role is :func:`route_role`'s. A refusal is answered at once, without
    reading the body; a key let in is left in ``scope["state"]`` for :class:`RequireRole`.
    Requests no route takes (404, 405) and public routes pass on untouched.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._routes: list[tuple[RouteContext, Role | None]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a refused request, or pass it on with its key in its state."""
        found = self._keyed_route(scope) if scope["type"] == "http" else None
        if found is None:
            await self.app(scope, receive, send)
            return
        route, role = found
        checked = await check_key(scope["app"].state.encours, scope, role)
        if isinstance(checked, Refusal):
            scope["route"] = route.original_route  # counted under its template, as FastAPI does
            await checked.response()(scope, receive, send)
            return
        scope.setdefault("state", {})[API_KEY_STATE] = checked
        await self.app(scope, receive, send)

    def _keyed_route(self, scope: Scope) -> tuple[RouteContext, Role] | None:
        """The route that takes the request, with its role; None when no route takes it
        (404, 405) or a public one does."""
        if self._routes is None:  # every route is added before the first request
            self._routes = [
                (context, route_role(context.dependant))
                for context in iter_route_contexts(scope["app"].routes)
                if isinstance(context.original_route, APIRoute)
            ]
        for context, role in self._routes:
            match, _ = context.matches(scope)
            if match == Match.FULL:
                return None if role is None else (context, role)
        return None


def sent_token(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The API key a request sends (its raw ASGI headers): the first bearer token, else the
    first ``X-API-Key`` header; None without either.

    As the schemes read them: another ``Authorization`` scheme (Basic...) or an empty
    token is no key.
    """
    bearer = header = None
    for name, value in headers:
        if name == b"authorization" and bearer is None:
            scheme, _, credentials = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and credentials.strip():
                bearer = credentials.strip()
        elif name == b"x-api-key" and header is None:
            header = value.decode("latin-1")
    return bearer or header or None


def require_role(role: Role | str) -> params.Depends:
    """The dependency marker for routes open to keys of ``role`` or above.

    Use it in ``APIRouter(dependencies=[require_role("viewer")])``, in a route's
    ``dependencies``, or as ``key: Annotated[ApiKey, require_role("admin")]``.
    """
    return Depends(RequireRole(Role(role)))


def route_role(dependant: Dependant) -> Role | None:
    """The least role a route (its ``dependant``) lets in, None for a public route."""
    found: list[Role] = []
    stack = [dependant]
    while stack:
        current = stack.pop()
        if isinstance(current.call, RequireRole):
            found.append(current.call.min_role)
        stack.extend(current.dependencies)
    return max(found, key=lambda role: role.rank) if found else None


SCHEMES: tuple[SecurityBase, ...] = (_bearer, _header)
"""The ways to send a key, each enough alone: the alternatives of every security requirement."""


def with_security(schema: dict[str, Any], routes: Sequence[BaseRoute]) -> dict[str, Any]:
    """``schema`` (an app's OpenAPI) with the key schemes and, on every operation of a route
    that needs a key, the requirement: either scheme, named with the least role let in."""
    components = schema.setdefault("components", {}).setdefault("securitySchemes", {})
    for scheme in SCHEMES:
        components[scheme.scheme_name] = scheme.model.model_dump(
            mode="json", by_alias=True, exclude_none=True
        )
    for route in iter_route_contexts(routes):  # included routers' routes too, as FastAPI's
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        role = route_role(route.dependant)
        if role is None:
            continue
        for method in route.methods or ():
            operation = schema["paths"][route.path_format][method.lower()]
            operation["security"] = [{scheme.scheme_name: [role.value]} for scheme in SCHEMES]
    return schema
