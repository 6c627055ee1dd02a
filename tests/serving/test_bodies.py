"""What a request may carry: bounded x_ columns (unknown ones ignored), bounded ids in
paths, malformed JSON as a 400, bodies validated off the event loop, HEAD /healthz."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, TypeAdapter

from serving.api import bodies
from serving.api.problems import add_problem_handlers
from serving.api.routes.scores import request_columns
from serving.api.schemas import MAX_TEXT, MAX_USER_COLUMNS, ScoreRequest
from tests.serving.conftest import Store, auth
from tests.serving.test_ops import score_body

Served = tuple[TestClient, dict[str, str]]
PROBLEM = "application/problem+json"


def with_x(store: Store, x: dict[str, object]) -> dict:
    """A one-invoice score body whose invoice carries the columns ``x``."""
    body = score_body(store)
    body["invoices"] = [body["invoices"][0] | {"x": x}]
    return body


@pytest.mark.parametrize(
    ("x", "said"),
    [
        ({f"x_c{i}": 1.0 for i in range(MAX_USER_COLUMNS + 1)}, "at most 50 items"),
        ({"x_" + "a" * 5_000: "v"}, "at most 64 characters"),
        ({"channel": "email"}, "your own columns are named x_"),
        ({"x_sales rep": "Martin"}, "your own columns are named x_"),
        ({"x_note": "n" * (MAX_TEXT + 1)}, f"at most {MAX_TEXT} characters"),
    ],
    ids=["too-many", "long-name", "no-prefix", "space", "long-text"],
)
def test_x_columns_are_bounded(keyed_app: Served, store: Store, x: dict, said: str) -> None:
    client, tokens = keyed_app
    response = client.post(
        "/v1/invoices/score", json=with_x(store, x), headers=auth(tokens["viewer"])
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert said in response.json()["detail"]
    assert len(response.text) < 1_000  # a long name is cut, not echoed whole


def test_x_columns_the_model_does_not_know_are_ignored(keyed_app: Served, store: Store) -> None:
    client, tokens = keyed_app
    viewer = auth(tokens["viewer"])
    plain = client.post("/v1/invoices/score", json=score_body(store), headers=viewer)
    x = {"x_unknown": "anything", "x_région": 3.5, "x_sales-rep": None}
    extra = client.post("/v1/invoices/score", json=with_x(store, x), headers=viewer)
    assert plain.status_code == extra.status_code == 200, extra.text
    assert extra.json()["scores"] == plain.json()["scores"]


def test_only_known_x_columns_are_built() -> None:
    invoice = {"client_id": "C1", "issue_date": "2025-01-10", "due_date": "2025-02-09"}
    rows = [
        invoice | {"amount": "1", "x": {"x_channel": "email", "x_junk": "a"}},
        invoice | {"amount": "2", "x": {"x_other": "b"}},
    ]
    columns = request_columns(ScoreRequest.model_validate({"invoices": rows}), {"x_channel"})
    assert [name for name in columns if name.startswith("x_")] == ["x_channel"]
    assert columns["x_channel"] == ["email", None]


@pytest.mark.parametrize("path", ["/v1/invoices/{id}", "/v1/clients/{id}/risk"])
def test_long_or_unprintable_ids_in_paths_are_422_problems(keyed_app: Served, path: str) -> None:
    client, tokens = keyed_app
    viewer = auth(tokens["viewer"])
    name = "invoice_id" if "invoices" in path else "client_id"
    long = client.get(path.format(id="F" * 5_000), headers=viewer)
    nul = client.get(path.format(id="F%00X"), headers=viewer)
    for response in (long, nul):
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == PROBLEM
        assert [e["field"] for e in response.json()["errors"]] == [f"path.{name}"]
        assert len(response.text) < 1_000  # the value is not echoed back whole
    assert "at most 64 characters" in long.json()["detail"]
    assert "U+0000" in nul.json()["detail"]


def test_ids_in_bodies_follow_the_same_rule(keyed_app: Served, store: Store) -> None:
    client, tokens = keyed_app
    score = with_x(store, {})
    score["invoices"][0]["client_id"] = "C\u202e1"
    scored = client.post("/v1/invoices/score", json=score, headers=auth(tokens["viewer"]))
    action = {"invoice_id": "F\x001", "action_date": "2024-01-15", "channel": "call"}
    acted = client.post("/v1/actions", json=action, headers=auth(tokens["collector"]))
    line = {"line_id": " L1", "date": "2024-01-15", "amount": "10.00"}
    lettered = client.post("/v1/lettrage", json=[line], headers=auth(tokens["collector"]))
    for response, field, said in (
        (scored, "invoices.0.client_id", "U+202E"),
        (acted, "invoice_id", "U+0000"),
        (lettered, "0.line_id", "space"),
    ):
        assert response.status_code == 422, response.text
        assert [e["field"] for e in response.json()["errors"]] == [field]
        assert said in response.json()["detail"]


def test_malformed_json_is_a_400_problem_saying_so(keyed_app: Served) -> None:
    client, tokens = keyed_app
    for path, key in (("/v1/invoices/score", "viewer"), ("/v1/lettrage", "collector")):
        response = client.post(
            path,
            content=b'{"invoices": [',
            headers={"content-type": "application/json"} | auth(tokens[key]),
        )
        assert response.status_code == 400, response.text
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["detail"].startswith("the body is not valid JSON: ")
        documented = client.get("/openapi.json").json()["paths"][path]["post"]["responses"]
        assert documented["400"]["content"][PROBLEM]["schema"]["$ref"].endswith("/Problem")


class Item(BaseModel):
    """A body for a bare FastAPI app (at module level: annotations are resolved by name)."""

    n: int


def test_fastapis_own_json_errors_are_400_problems_too() -> None:
    # A route without OffLoopBodyRoute: FastAPI reports the bad JSON itself.
    app = FastAPI()
    add_problem_handlers(app)

    @app.post("/items")
    def take(item: Item) -> int:
        return item.n

    response = TestClient(app).post(
        "/items", content=b'{"n": 1,,}', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("the body is not valid JSON: ")
    assert "at character 8" in response.json()["detail"]


def test_large_bodies_are_validated_in_the_thread_pool(
    keyed_app: Served, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, tokens = keyed_app
    threads: list[int] = []
    validate = bodies.validate

    def watched(body_type: TypeAdapter[Any], body: bytes) -> Any:
        threads.append(threading.get_ident())
        return validate(body_type, body)

    monkeypatch.setattr(bodies, "validate", watched)
    monkeypatch.setattr(bodies, "INLINE_BYTES", 1_000)
    viewer = auth(tokens["viewer"])
    for n in (1, 100):  # ~150 bytes, then ~15 kB
        response = client.post("/v1/invoices/score", json=score_body(store, n), headers=viewer)
        assert response.status_code == 200, response.text
        assert len(response.json()["scores"]) == n
    line = {"line_id": "L", "date": "2025-01-10", "amount": "10.00", "label": "VIR"}
    lines = [line | {"line_id": f"L{i}"} for i in range(50)]  # a list body: ~4 kB
    assert client.post("/v1/lettrage", json=lines, headers=auth(tokens["collector"])).is_success
    small, large, lettrage = threads
    assert small != large == lettrage  # the small one on the loop, the large ones elsewhere


def test_a_large_answer_is_the_same_as_small_ones(keyed_app: Served, store: Store) -> None:
    client, tokens = keyed_app
    viewer = auth(tokens["viewer"])
    one = client.post("/v1/invoices/score", json=score_body(store, 1), headers=viewer)
    many = client.post("/v1/invoices/score", json=score_body(store, 200), headers=viewer)
    assert many.status_code == 200
    assert many.headers["content-type"] == "application/json"
    assert many.json()["scores"] == one.json()["scores"] * 200
    assert dt.date.fromisoformat(many.json()["as_of"]) == dt.date(2025, 1, 10)


def test_head_healthz_answers_200_without_a_body(keyed_app: Served) -> None:
    client, _ = keyed_app
    response = client.head("/healthz")
    assert response.status_code == 200
    assert response.content == b""
