"""A request id per API call: returned, echoed when sane, on every log line of the call."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient

from serving.api.logs import JsonFormatter, RequestIdFilter, log_config
from tests.serving.conftest import auth

Served = tuple[TestClient, dict[str, str]]


def test_each_answer_carries_a_fresh_id(keyed_app: Served) -> None:
    client, _ = keyed_app
    first, second = client.get("/healthz"), client.get("/v1/models")  # the 401 too
    ids = [r.headers["x-request-id"] for r in (first, second)]
    assert second.status_code == 401
    assert all(len(i) == 32 for i in ids) and ids[0] != ids[1]


def test_a_sane_id_is_echoed_and_an_insane_one_replaced(keyed_app: Served) -> None:
    client, tokens = keyed_app
    given = "req-42.a_b:c/d=e+f"
    echoed = client.get("/v1/models", headers=auth(tokens["viewer"]) | {"X-Request-ID": given})
    assert echoed.headers["x-request-id"] == given
    for insane in ("two words", "a" * 129, "-leading-dash", 'quote"d'):
        answer = client.get("/healthz", headers={"X-Request-ID": insane})
        assert answer.headers["x-request-id"] not in (insane, "")
        assert len(answer.headers["x-request-id"]) == 32


def test_log_lines_of_a_request_carry_its_id_as_json() -> None:
    from fastapi import FastAPI

    from serving.api.request_id import RequestIdMiddleware

    app = FastAPI()
    app.add_middleware(RequestIdMiddleware)
    logger = logging.getLogger("encours.test-request-id")

    @app.get("/hello")
    def hello() -> str:  # a sync route: runs in the threadpool, the id must follow
        logger.warning("inside")
        return "hi"

    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Keep()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    try:
        with TestClient(app) as client:
            client.get("/hello", headers={"X-Request-ID": "call-1"})
            client.get("/hello")
        logger.warning("outside")
    finally:
        logger.removeHandler(handler)
    records = [json.loads(line) for line in lines]
    assert {"time", "level", "logger", "message", "request_id", "process"} <= records[0].keys()
    assert [(r["message"], r["level"]) for r in records] == [("inside", "WARNING")] * 2 + [
        ("outside", "WARNING")
    ]
    assert records[0]["request_id"] == "call-1"
    assert len(records[1]["request_id"]) == 32 and records[2]["request_id"] == "-"


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_uvicorn_loggers_write_through_the_same_handler(log_format: str) -> None:
    config = log_config(log_format)  # type: ignore[arg-type]
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        assert config["loggers"][name] == {"handlers": [], "level": "INFO", "propagate": True}
    assert config["handlers"]["stderr"]["filters"] == ["request_id"]
    assert ("()" in config["formatters"]["encours"]) is (log_format == "json")
