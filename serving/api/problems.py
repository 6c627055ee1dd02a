"""Errors as ``application/problem+json`` (RFC 9457), from one place: the answers, and how
the OpenAPI schema describes them."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException

from ledger.errors import ImportRejected, LedgerError, UnknownClient, UnknownInvoice
from ledger.storage import database_busy
from serving.scenarios import ScenarioError
from serving.services import ModelUnavailable

PROBLEM_JSON = "application/problem+json"
DEFAULT_RETRY_AFTER = 5
logger = logging.getLogger("encours.api")


class FieldProblem(BaseModel):
    """One invalid field of a request."""

    field: str = Field(
        description="where: `query.as_of`, `invoices.0.amount`; empty for the whole body",
        examples=["invoices.0.amount"],
    )
    message: str = Field(description="what is wrong with it", examples=["Input should be > 0"])


class Problem(BaseModel):
    """An error, as RFC 9457 problem details (``application/problem+json``)."""

    type: str = Field(default="about:blank", description="always `about:blank`: see `status`")
    title: str = Field(description="the HTTP status phrase", examples=["Not Found"])
    status: int = Field(ge=400, le=599, description="the HTTP status code", examples=[404])
    detail: str = Field(
        description="what went wrong, for a person to read", examples=["unknown client C99999"]
    )
    errors: list[FieldProblem] | list[str] | None = Field(
        default=None,
        description="on a 422: each invalid field; on a rejected import: each row problem",
    )


def problem(
    status: int, detail: str, headers: Mapping[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """A problem+json response with the standard fields (and ``headers``, if any)."""
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status}
    body |= {"detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


LONGEST_PART = 64
"""Longest part of a field's path shown whole (an id's length): a 5,000-character key sent
is named by its start, not echoed back."""


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(part) for part in loc if part != "body"]
    return ".".join(p if len(p) <= LONGEST_PART else f"{p[:LONGEST_PART]}…" for p in parts)


def _not_json(error: Mapping[str, Any]) -> str:
    """Why a body is not JSON, from a ``json_invalid`` error of FastAPI or of pydantic."""
    why = str(error.get("ctx", {}).get("error") or error["msg"])
    position = [part for part in error["loc"] if isinstance(part, int)]  # FastAPI's offset
    return f"{why} at character {position[-1]}" if position else why


async def _validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    broken = [e for e in exc.errors() if e.get("type") == "json_invalid"]
    if broken:  # no field is wrong: the body is not JSON at all
        return problem(400, f"the body is not valid JSON: {_not_json(broken[0])}")
    errors = [{"field": _field(tuple(e["loc"])), "message": e["msg"]} for e in exc.errors()]
    # An error of the whole body (a missing body, a rule across fields) has no field name.
    detail = "; ".join(
        f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors
    )
    return problem(422, detail, errors=errors)


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    # Headers carry meaning here: WWW-Authenticate on a 401, Allow on a 405.
    headers = dict(exc.headers or {})
    if exc.status_code == 503:  # every 503 says when to try again
        headers.setdefault("Retry-After", str(retry_after(request)))
    return problem(exc.status_code, str(exc.detail), headers=headers)


def retry_after(request: Request) -> int:
    """Seconds a client should wait before retrying a 503 (``db_retry_after_seconds``)."""
    state = getattr(request.app.state, "encours", None)
    return state.settings.db_retry_after_seconds if state is not None else DEFAULT_RETRY_AFTER


async def _database(request: Request, exc: Exception) -> JSONResponse:
    """503 with Retry-After: a lock held too long, or a database that cannot answer.

    Either may pass: a retry is the right move, a 500 the wrong message. The error's text
    goes to the log only (``make_engine`` keeps the statement's parameters out of it).
    """
    seconds = retry_after(request)
    if database_busy(exc):
        logger.warning("database busy: %s", exc)
        detail = f"the database is busy (another program holds a lock on it); retry in {seconds} s"
    else:
        logger.error("database unavailable", exc_info=exc)
        detail = f"the database is unavailable; retry in {seconds} s"
    return problem(503, detail, headers={"Retry-After": str(seconds)})


async def _ledger(_: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, UnknownClient | UnknownInvoice):
        return problem(404, str(exc))
    if isinstance(exc, ImportRejected):
        return problem(422, str(exc), errors=[str(p) for p in exc.problems])
    return problem(400, str(exc))


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    """503 with Retry-After: a champion not served, or relance scenarios that do not
    validate (the detail names the field); the service, not the request, is at fault."""
    detail = str(exc)
    if isinstance(exc, ScenarioError):
        detail = f"the relance scenarios are misconfigured: {exc}"
    return problem(503, detail, headers={"Retry-After": str(retry_after(request))})


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    logger.exception("unexpected error", exc_info=exc)
    return problem(500, "unexpected error on the server; it has been logged")


_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_FASTAPI_422 = {"$ref": "#/components/schemas/HTTPValidationError"}
_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
BAD_BODY = "the body is not valid JSON (in UTF-8)"
BIG_BODY = "the body is larger than the limit (`ENCOURS_MAX_BODY_BYTES`, default 16 MiB)"


def _undescribed(response: dict[str, Any]) -> bool:
    """Whether an error response gives no body schema, or FastAPI's own 422 one."""
    content = response.get("content", {})
    schemas = [media.get("schema") for media in content.values()]
    return not any(schemas) or schemas == [_FASTAPI_422]


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` (an OpenAPI document) with every error answer described as a problem.

    The handlers below turn every error into problem+json, FastAPI's validation errors
    included; its generator does not know that. So here, in place: each 4xx or 5xx
    response without a body schema (or with FastAPI's 422 one) gets the Problem schema,
    and each operation with a body gets the 400 answered to one that is not JSON and the
    413 answered to one over the size limit (:mod:`serving.api.limits`).
    """
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(problem_schema.pop("$defs", {}), Problem=problem_schema)
    for item in schema.get("paths", {}).values():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            if "requestBody" in operation:
                responses.setdefault("400", {"description": BAD_BODY})
                responses.setdefault("413", {"description": BIG_BODY})
            for code, response in responses.items():
                if code[0] in "45" and _undescribed(response):
                    response["content"] = {PROBLEM_JSON: {"schema": _PROBLEM_REF}}
    if json.dumps(_FASTAPI_422) not in json.dumps(schema["paths"]):  # FastAPI's, now unused
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
    return schema


def add_problem_handlers(app: FastAPI) -> None:
    """Map validation, HTTP, ledger, database, service and unexpected errors to
    problem+json, and
    say so in the app's OpenAPI schema."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(LedgerError, _ledger)
    app.add_exception_handler(SQLAlchemyError, _database)
    app.add_exception_handler(ModelUnavailable, _unavailable)
    app.add_exception_handler(ScenarioError, _unavailable)
    app.add_exception_handler(Exception, _unexpected)
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_problems(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented override
