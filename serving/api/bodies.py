"""JSON bodies parsed and validated off the event loop when they are large.

FastAPI parses a JSON body (``json.loads``) and validates it on the event loop: for the
largest batch, 10,000 invoices, some 80 ms during which the process answers no one, not
even ``/healthz``. :class:`OffLoopBodyRoute` does both in one call of pydantic's own
parser (``model_validate_json``, 40 ms for those 10,000), on the loop for a small body, in
the thread pool for a large one; FastAPI then receives the validated model, which pydantic
takes as it is. The answers are the same: errors are raised as FastAPI raises them
(:class:`RequestValidationError`, located under ``body``), and a body that is not JSON
(``json_invalid``) is answered 400 by :mod:`serving.api.problems`.

FastAPI's documented way to change how a route reads its request ("Custom Request and
APIRoute class"): a router opts in with ``APIRouter(route_class=OffLoopBodyRoute)``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from email.message import Message
from typing import Annotated, Any

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

INLINE_BYTES = 64 * 1024
"""Bodies up to this size are parsed on the loop (under a millisecond: 64 KB is some 250
invoices); larger ones in the thread pool, where the loop keeps its turn every few ms."""

_UNSET = object()


class ParsedBodyRequest(Request):
    """A request whose JSON body may have been parsed and validated already."""

    parsed: Any = _UNSET

    async def json(self) -> Any:
        """The body validated by the route, else parsed as FastAPI does."""
        if self.parsed is not _UNSET:
            return self.parsed
        return await super().json()


def is_json(content_type: str | None) -> bool:
    """Whether FastAPI would read a body of ``content_type`` as JSON."""
    if not content_type:
        return False  # FastAPI's strict content type: such a body is not read as JSON
    message = Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def body_type(route: APIRoute) -> TypeAdapter[Any] | None:
    """How to validate a route's whole JSON body (its type and constraints), None when it
    takes no body, or several fields of one."""
    params = route.dependant.body_params
    if len(params) != 1 or getattr(params[0].field_info, "embed", False):
        return None
    info = params[0].field_info
    kind: Any = info.annotation
    if info.metadata:  # its constraints, e.g. Body(min_length=1)
        kind = Annotated[kind, *info.metadata]
    return TypeAdapter(kind)


def validate(body_type: TypeAdapter[Any], body: bytes) -> Any:
    """``body`` validated as ``body_type``; its errors raised as FastAPI raises them."""
    try:
        return body_type.validate_json(body)
    except ValidationError as exc:  # the errors listed here too: they may be many
        errors = [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
        raise RequestValidationError(errors) from None


async def validated(body_type: TypeAdapter[Any], body: bytes) -> Any:
    """``body`` validated: on the loop when small, else in the thread pool."""
    if len(body) <= INLINE_BYTES:
        return validate(body_type, body)
    return await run_in_threadpool(validate, body_type, body)


class OffLoopBodyRoute(APIRoute):
    """A route whose JSON body is validated by :func:`validated`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """FastAPI's handler, given the body already validated when it is JSON."""
        handler = super().get_route_handler()
        body_type_ = body_type(self)
        if body_type_ is None:
            return handler

        async def handle(request: Request) -> Response:
            request = ParsedBodyRequest(request.scope, request.receive)
            body = await request.body()
            if body and is_json(request.headers.get("content-type")):
                request.parsed = await validated(body_type_, body)
            return await handler(request)

        return handle
