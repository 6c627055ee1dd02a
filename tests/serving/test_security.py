"""API keys and roles, checked on every route of the app's route table.

The route table is walked, not listed by hand: a route added without a role fails here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from encours.settings import Settings
from ledger.storage import make_engine
from serving.api.app import create_app
from serving.api.security import route_role, sent_token
from serving.api_keys import AuthFailures, Role, create_key
from tests.serving.conftest import Store, auth, keys_for

PUBLIC = {"/healthz", "/readyz"}
# The role decided for each route so far; routes added later need only declare one.
DECIDED = {
    ("POST", "/v1/invoices/score"): Role.VIEWER,
    ("GET", "/v1/kpis"): Role.VIEWER,
    ("GET", "/v1/aged-balance"): Role.VIEWER,
    ("GET", "/v1/models"): Role.VIEWER,
    ("GET", "/metrics"): Role.VIEWER,
    ("POST", "/v1/lettrage"): Role.COLLECTOR,
    ("POST", "/v1/models/reload"): Role.ADMIN,
    ("GET", "/v1/audit"): Role.ADMIN,
}
PROBLEM = "application/problem+json"

Route = tuple[str, str, Role | None]


@pytest.fixture(scope="module")
def keyed_app(store: Store) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """conftest's, without the limit on failed keys: the walks below send a hundred."""
    settings = store.settings.model_copy(update={"auth_failures_per_minute": 0})
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client, keys_for(settings)


def route_table(app: FastAPI) -> list[Route]:
    """(method, path template, least role) of every API route and method of ``app``: the
    pages (``/ui``) sign in with a session instead, checked in test_pages.py."""
    # FastAPI keeps included routers nested in app.routes; iter_route_contexts descends
    # into them, as FastAPI's own OpenAPI generator does.
    rows: list[Route] = []
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute) and not context.path_format.startswith(
            "/ui"
        ):
            for method in sorted(context.methods):
                rows.append((method, context.path_format, route_role(context.dependant)))
    return rows


def secured(app: FastAPI) -> list[tuple[str, str, Role]]:
    """The routes that need a key, with their least role."""
    return [(m, p, role) for m, p, role in route_table(app) if role is not None]


def url(path: str) -> str:
    """``path`` with its parameters filled in: the key is checked before they are used."""
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_route_declares_its_least_role(keyed_app: tuple[TestClient, dict]) -> None:
    client, _ = keyed_app
    table = route_table(client.app)  # type: ignore[arg-type]
    assert {(m, p) for m, p, _ in table} >= set(DECIDED), "a decided route went missing"
    for method, path, role in table:
        if path in PUBLIC:
            assert role is None, f"{method} {path} should answer without a key"
        else:
            assert role is not None, f"{method} {path} declares no role: add require_role(...)"
        if (method, path) in DECIDED:
            assert role == DECIDED[method, path], f"{method} {path}"


def test_without_a_valid_key_every_route_is_a_401_problem(
    keyed_app: tuple[TestClient, dict],
) -> None:
    client, tokens = keyed_app
    invalid = {
        "no key": {},
        "unknown key": auth("enc_not-a-key"),
        "revoked key": auth(tokens["revoked"]),
        "revoked key in X-API-Key": {"X-API-Key": tokens["revoked"]},
        "not a bearer": {"Authorization": f"Basic {tokens['admin']}"},
    }
    failures = []
    for method, path, _ in secured(client.app):  # type: ignore[arg-type]
        for case, headers in invalid.items():
            response = client.request(method, url(path), headers=headers)
            if (
                response.status_code != 401
                or response.headers["content-type"] != PROBLEM
                or not response.headers.get("www-authenticate", "").startswith("Bearer")
            ):
                failures.append(f"{method} {path} with {case}: {response.status_code}")
    assert failures == []


def test_a_role_below_the_route_is_403_and_at_or_above_passes(
    keyed_app: tuple[TestClient, dict],
) -> None:
    client, tokens = keyed_app
    failures = []
    for method, path, needed in secured(client.app):  # type: ignore[arg-type]
        for role in Role:
            for headers in (auth(tokens[role]), {"X-API-Key": tokens[role]}):
                response = client.request(method, url(path), headers=headers)
                if role.covers(needed):
                    ok = response.status_code not in (401, 403)  # then 200, 422 for no body...
                else:
                    ok = (
                        response.status_code == 403
                        and response.headers["content-type"] == PROBLEM
                        and needed.value in response.json()["detail"]
                    )
                if not ok:
                    failures.append(f"{method} {path} as {role}: {response.status_code}")
    assert failures == []


def test_health_and_readiness_answer_without_a_key(keyed_app: tuple[TestClient, dict]) -> None:
    client, _ = keyed_app
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200


def test_openapi_declares_both_schemes_and_each_route_role(
    keyed_app: tuple[TestClient, dict],
) -> None:
    client, _ = keyed_app
    schema = client.get("/openapi.json").json()  # the documentation itself is public
    schemes = schema["components"]["securitySchemes"]
    assert (schemes["bearer"]["type"], schemes["bearer"]["scheme"]) == ("http", "bearer")
    assert (schemes["apiKey"]["in"], schemes["apiKey"]["name"]) == ("header", "X-API-Key")
    table = route_table(client.app)  # type: ignore[arg-type]
    documented = {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
    }
    assert documented == {(m, p) for m, p, _ in table}, "the walk and the schema disagree"
    for method, path, role in table:
        operation = schema["paths"][path][method.lower()]
        if role is None:
            assert "security" not in operation, path
            continue
        assert operation["security"] == [{"bearer": [role.value]}, {"apiKey": [role.value]}]
        assert {"401", "403"} <= set(operation["responses"]), f"{method} {path}"


def test_the_walk_sees_a_route_added_later_without_a_role() -> None:
    app = create_app(Settings(database_url="sqlite://"))  # no lifespan: nothing is loaded
    extra = APIRouter(prefix="/v1/extra")

    @extra.get("/{item}")
    def item(item: int) -> int:
        return item

    app.include_router(extra)
    assert ("GET", "/v1/extra/{item}", None) in route_table(app)


@pytest.mark.parametrize(
    ("headers", "token"),
    [
        ([(b"authorization", b"Bearer abc")], "abc"),
        ([(b"authorization", b"bearer  abc ")], "abc"),  # the scheme in any case
        ([(b"x-api-key", b"xyz")], "xyz"),
        ([(b"x-api-key", b"xyz"), (b"authorization", b"Bearer abc")], "abc"),  # bearer first
        ([(b"authorization", b"Basic dTpw"), (b"x-api-key", b"xyz")], "xyz"),
        ([(b"authorization", b"Basic dTpw")], None),  # another scheme is no key
        ([(b"authorization", b"Bearer "), (b"x-api-key", b"")], None),  # empty is no key
        ([(b"authorization", b"Bearer abc"), (b"authorization", b"Bearer def")], "abc"),
        ([(b"accept", b"*/*")], None),
    ],
)
def test_the_key_sent_is_the_bearer_token_else_the_api_key_header(
    headers: list[tuple[bytes, bytes]], token: str | None
) -> None:
    assert sent_token(headers) == token


def key_queries(engine: Engine) -> list[str]:
    """The lookups of keys that ``engine`` runs from now on (a live list)."""
    seen: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.lstrip().startswith("SELECT") and "api_keys" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    return seen


def test_the_route_reuses_the_key_the_gate_checked(store: Store) -> None:
    settings = store.settings.model_copy(update={"api_key_cache_seconds": 0.0})
    tokens = keys_for(settings)
    with TestClient(create_app(settings)) as client:
        queries = key_queries(client.app.state.encours.engine)  # type: ignore[attr-defined]
        assert client.get("/v1/models", headers=auth(tokens["viewer"])).status_code == 200
    assert len(queries) == 1  # one check per request, not one by the gate and one by the route


@pytest.mark.parametrize("cache_seconds", [60.0, 0.0])
def test_an_address_past_its_failures_is_429_without_asking_the_database(
    store: Store, cache_seconds: float
) -> None:
    settings = store.settings.model_copy(
        update={"auth_failures_per_minute": 5, "api_key_cache_seconds": cache_seconds}
    )
    tokens = keys_for(settings)
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False, client=("203.0.113.7", 50000)) as client:
        queries = key_queries(client.app.state.encours.engine)  # type: ignore[attr-defined]
        known = auth(tokens["viewer"])
        # Five tries a minute: the key's first use, then four guesses.
        assert client.get("/v1/models", headers=known).status_code == 200
        for n in range(4):
            assert client.get("/v1/models", headers=auth(f"enc_guess-{n}")).status_code == 401
        assert len(queries) == 5
        refused = client.get("/v1/models", headers=auth("enc_guess-5"))
        assert refused.status_code == 429
        assert refused.headers["content-type"] == PROBLEM
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert "203.0.113.7" in refused.json()["detail"]
        again = client.get("/v1/models", headers=auth("enc_guess-0"))  # even a guess cached
        assert again.status_code == 429
        # A real key not seen from here yet waits too: the address cannot tell it apart.
        assert client.get("/v1/models", headers=auth(tokens["collector"])).status_code == 429
        assert len(queries) == 5  # all refused before any query
        # The key in use from that address is still served: from the cache, else checked.
        assert client.get("/v1/models", headers=known).status_code == 200
        assert len(queries) == (5 if cache_seconds else 6)


def test_tries_count_per_address_and_no_limit_at_0() -> None:
    tries, unlimited = AuthFailures(2), AuthFailures(0)
    assert tries.attempt("10.0.0.1") == tries.attempt("10.0.0.1") == 0
    assert 1 <= tries.attempt("10.0.0.1") <= 60  # the third within the minute
    assert tries.attempt("10.0.0.2") == 0  # another address is not held back
    assert all(unlimited.attempt("10.0.0.1") == 0 for _ in range(100))


def test_a_token_in_the_query_string_is_no_key(keyed_app: tuple[TestClient, dict]) -> None:
    client, tokens = keyed_app
    for name in ("api_key", "token", "key", "access_token"):
        response = client.get("/v1/models", params={name: tokens["admin"]})
        assert response.status_code == 401, name  # only headers carry keys: URLs get logged


def test_an_expired_key_is_a_401_saying_so(store: Store) -> None:
    engine = make_engine(store.settings.database_url)
    yesterday = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    expired = create_key(engine, Role.ADMIN, "expired", expires_at=yesterday)
    engine.dispose()
    with TestClient(create_app(store.settings)) as client:
        response = client.get("/v1/models", headers=auth(expired.token))
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["detail"].startswith("expired API key")
