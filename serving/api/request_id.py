"""A request id per API call: taken from the caller's ``X-Request-ID`` when it is a sane
token, else made up; returned as ``X-Request-ID`` and put on every log line of the call."""

from __future__ import annotations

import re
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.api.logs import REQUEST_ID

HEADER = b"x-request-id"
SANE = re.compile(rb"[A-Za-z0-9][A-Za-z0-9._:=+/-]{0,127}")
"""An id a proxy or client may send: up to 128 characters of letters, digits and ``._:=+/-``.
Anything else (spaces, quotes, control characters, a megabyte) would let a caller forge or
flood log lines: it is replaced by a fresh id."""


def request_id_of(scope: Scope) -> str:
    """The caller's id if sane, else a new one (32 hex digits)."""
    for name, value in scope.get("headers", ()):
        if name == HEADER and SANE.fullmatch(value):
            return value.decode("ascii")
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Sets :data:`serving.api.logs.REQUEST_ID` for the call and adds the header to the
    answer (pure ASGI, so that the id holds in every middleware, route and threadpool)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer the call with its id set."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        token = REQUEST_ID.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != HEADER]
                message = {**message, "headers": [*headers, (HEADER, request_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(token)
