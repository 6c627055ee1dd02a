"""A busy or locked database: every route answers a retryable 503 (problem+json with
Retry-After) within the lock bound, never a 500; readiness reads a real table."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import ProgrammingError

from encours.settings import Settings
from ledger.storage import make_engine, migrate, save_ledger
from serving.api.app import create_app
from serving.api_keys import create_key, hash_token
from tests.db_locks import held_lock
from tests.ledger.factories import small_ledger
from tests.serving.conftest import auth

BOUND = 0.5  # ENCOURS_DB_LOCK_TIMEOUT_SECONDS of these apps
SLACK = 1.5  # what a loaded 2-core machine may add to it
RETRY = 7
PROBLEM = "application/problem+json"
ACTION = {"invoice_id": "F2", "action_date": "2024-03-06", "channel": "email"}
LINE = {"line_id": "L1", "date": "2024-03-10", "amount": "10.00", "label": "VIR F2"}


@dataclass
class Locked:
    """An app on a small ledger (no model), a token per role and the app's engine."""

    client: TestClient
    tokens: dict[str, str]

    @property
    def state(self):  # type: ignore[no-untyped-def]
        """The running app's state."""
        return self.client.app.state.encours  # type: ignore[attr-defined]

    def timed(self, method: str, path: str, role: str = "collector", **kw: object):  # type: ignore[no-untyped-def]
        """The answer to one request and how long it took, in seconds."""
        started = time.monotonic()
        response = self.client.request(method, path, headers=auth(self.tokens[role]), **kw)  # type: ignore[arg-type]
        return response, time.monotonic() - started


@pytest.fixture
def locked_app(database_url: str, tmp_path: Path) -> Iterator[Locked]:
    """The app on SQLite, then PostgreSQL; keys are asked of the database every time."""
    setup = make_engine(database_url)
    migrate(setup)
    save_ledger(setup, small_ledger())
    tokens = {role: create_key(setup, role, role).token for role in ("viewer", "collector")}
    setup.dispose()
    settings = Settings(
        database_url=database_url,
        models_dir=tmp_path / "models",
        db_lock_timeout_seconds=BOUND,
        db_retry_after_seconds=RETRY,
        api_key_cache_seconds=0,
        ledger_refresh_seconds=3600,
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        locked = Locked(client, tokens)
        response, _ = locked.timed("GET", "/v1/kpis", "viewer", params={"as_of": "2024-03-15"})
        assert response.status_code == 200, response.text  # the ledger snapshot is held now
        yield locked


def assert_retryable(response, waited: float) -> None:  # type: ignore[no-untyped-def]
    """A 503 problem that says when to retry, answered within the lock bound."""
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["retry-after"] == str(RETRY)
    assert waited < BOUND + SLACK


def test_writes_under_a_held_write_lock_are_retryable_503s(locked_app: Locked) -> None:
    with held_lock(locked_app.state.engine):
        action, action_waited = locked_app.timed("POST", "/v1/actions", json=ACTION)
        lettrage, lettrage_waited = locked_app.timed("POST", "/v1/lettrage", json=[LINE])
        # Readers are not stopped by a writer: keys are checked, the KPIs answer.
        kpis, _ = locked_app.timed("GET", "/v1/kpis", "viewer", params={"as_of": "2024-03-15"})
    assert_retryable(action, action_waited)
    assert "database is busy" in action.json()["detail"]
    assert_retryable(lettrage, lettrage_waited)
    assert kpis.status_code == 200
    again, _ = locked_app.timed("POST", "/v1/actions", json=ACTION)
    assert again.status_code == 201, again.text


def test_a_key_check_does_not_wait_on_a_writer_to_note_the_use(locked_app: Locked) -> None:
    setup = make_engine(locked_app.state.settings.database_url)
    locked_app.tokens["fresh"] = create_key(setup, "viewer", "never used").token
    setup.dispose()
    with held_lock(locked_app.state.engine):  # its last use cannot be written now
        kpis, waited = locked_app.timed("GET", "/v1/kpis", "fresh", params={"as_of": "2024-03-15"})
    assert kpis.status_code == 200
    assert waited < BOUND  # the note of its use was skipped, not waited for


def test_a_lock_that_stops_readers_is_a_503_on_key_checks_and_readiness(
    locked_app: Locked, caplog: pytest.LogCaptureFixture
) -> None:
    with held_lock(locked_app.state.engine, readers=True), caplog.at_level(logging.WARNING):
        kpis, kpis_waited = locked_app.timed(
            "GET", "/v1/kpis", "viewer", params={"as_of": "2024-03-15"}
        )
        started = time.monotonic()
        ready = locked_app.client.get("/readyz")
        ready_waited = time.monotonic() - started
    assert_retryable(kpis, kpis_waited)
    assert ready.status_code == 503
    assert ready.json()["detail"]["database"] == "busy"
    assert ready_waited < BOUND + SLACK
    # The key check's warning names the failure, never the key's digest (nor the key).
    token = locked_app.tokens["viewer"]
    assert "cannot check an API key" in caplog.text
    assert hash_token(token) not in caplog.text and token not in caplog.text
    assert locked_app.client.get("/readyz").json()["detail"]["database"] == "ok"


def test_any_other_database_error_is_a_503_not_a_500(
    locked_app: Locked, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:
        raise ProgrammingError("INSERT INTO actions ...", {}, Exception("relation is gone"))

    monkeypatch.setattr("serving.services.actions.write_ledger", broken)
    response, waited = locked_app.timed("POST", "/v1/actions", json=ACTION)
    assert_retryable(response, waited)
    assert response.json()["detail"] == f"the database is unavailable; retry in {RETRY} s"
    assert "relation is gone" not in response.text
