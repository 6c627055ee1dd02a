"""Errors as ``application/problem+json`` (RFC 9457), from one place."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from ledger.errors import ImportRejected, LedgerError, UnknownClient, UnknownInvoice

PROBLEM_JSON = "application/problem+json"
logger = logging.getLogger("encours.api")


def problem(
    status: int, detail: str, headers: Mapping[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """A problem+json response with the standard fields (and ``headers``, if any)."""
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status}
    body |= {"detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc if part != "body")


async def _validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"field": _field(tuple(e["loc"])), "message": e["msg"]} for e in exc.errors()]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem(422, detail, errors=errors)


async def _http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    # Headers carry meaning here: WWW-Authenticate on a 401, Allow on a 405.
    return problem(exc.status_code, str(exc.detail), headers=exc.headers)


async def _ledger(_: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, UnknownClient | UnknownInvoice):
        return problem(404, str(exc))
    if isinstance(exc, ImportRejected):
        return problem(422, str(exc), errors=[str(p) for p in exc.problems])
    return problem(400, str(exc))


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    logger.exception("unexpected error", exc_info=exc)
    return problem(500, "unexpected error on the server; it has been logged")


def add_problem_handlers(app: FastAPI) -> None:
    """Map validation, HTTP, ledger and unexpected errors to problem+json responses."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(LedgerError, _ledger)
    app.add_exception_handler(Exception, _unexpected)
