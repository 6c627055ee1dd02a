"""The cap on request bodies: a body over ``Settings.max_body_bytes`` is answered 413.

A pure ASGI middleware, outside the routes and the key check: a ``Content-Length`` over
the cap is answered at once, the body left unread (uvicorn stops reading a connection
whose app does not ask for more, so its memory does not grow by the body's size); a
chunked or lying body is counted as it arrives and refused once past the cap, the rest
left unread. Starlette's ``RequestBodyLimitMiddleware`` does the second only, and
answers in plain text once the route asks for the body, after the key check.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.api.problems import problem


def too_large(limit: int) -> str:
    """The 413's detail, in plain words."""
    return (
        f"the request body is larger than the limit of {limit:,} bytes "
        "(ENCOURS_MAX_BODY_BYTES): send fewer items per request"
    )


class BodyTooLarge(HTTPException):
    """A body that went past the cap while being received.

    An ``HTTPException``: FastAPI passes those on as they are when it reads a body, and the
    app's handler answers it as a 413 problem.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large(limit))


def declared_length(scope: Scope) -> int | None:
    """The request's ``Content-Length``, None when absent (uvicorn refuses a malformed one)."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodySizeLimit:
    """Answers 413 (problem+json) to a request whose body is over ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse a declared length over the cap at once, count the bytes of any other."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            await problem(413, too_large(self.max_bytes))(scope, receive, send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge as exc:  # read outside the routes: no handler answered it
            if started:
                raise
            await problem(413, str(exc.detail))(scope, receive, send)
