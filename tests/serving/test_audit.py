"""Who wrote what: every write route stamps its rows and enters the audit log, read by admins.

The app runs on a copy of the session's store: the writes here (payments applied at
threshold 0) must not change the ledger the other modules test against.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from ledger.lettrage_store import BANK_LINES
from ledger.schema import AUDIT_LOG, TABLE_OBJECTS
from ledger.storage import load_ledger, make_engine
from serving.api.app import create_app
from serving.api_keys import find_key
from tests.serving.conftest import Store, auth, keys_for
from tests.serving.test_security import route_table

READS = {
    ("POST", "/v1/invoices/score"),
    ("POST", "/v1/clients/score"),
    ("POST", "/v1/affacturage"),
}
"""POST routes that compute and write nothing."""
PROBLEM = "application/problem+json"


class Audited:
    """The app on a copy of the store, its engine, and a token and key number per role."""

    def __init__(self, client: TestClient, engine: Engine, tokens: dict[str, str]) -> None:
        self.client, self.engine, self.tokens = client, engine, tokens
        self.ids = {role: _key_id(engine, token) for role, token in tokens.items()}


def _key_id(engine: Engine, token: str) -> int:
    key = find_key(engine, token)
    assert key is not None
    return key.id


@pytest.fixture(scope="module")
def audited(store: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Audited]:
    source = Path(store.settings.database_url.removeprefix("sqlite:///"))
    copy = tmp_path_factory.mktemp("audit") / "ledger.db"
    shutil.copy(source, copy)
    settings = store.settings.model_copy(update={"database_url": f"sqlite:///{copy}"})
    tokens = keys_for(settings)
    engine = make_engine(settings.database_url)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield Audited(client, engine, tokens)
    engine.dispose()


def open_invoice(store: Store) -> pd.Series:
    """The latest invoice of the store that no payment names."""
    ledger = store.ledger
    paid = set(ledger.payments["invoice_id"].dropna())
    invoices = ledger.invoices[~ledger.invoices["invoice_id"].isin(paid)]
    invoices = invoices[invoices["doc_type"] == "invoice"]
    return invoices.sort_values("issue_date").iloc[-1]


def write_requests(store: Store) -> dict[tuple[str, str], dict[str, Any]]:
    """A successful request to each write route: its role, body and query."""
    invoice = open_invoice(store)
    day = invoice["issue_date"].date()
    amount = f"{int(invoice['amount_cents']) / 100:.2f}"
    return {
        ("POST", "/v1/actions"): {
            "role": "collector",
            "json": {
                "invoice_id": invoice["invoice_id"],
                "action_date": str(day),
                "channel": "call",
                "outcome": "promise_to_pay",
                "promised_date": str(day + dt.timedelta(days=10)),
            },
        },
        ("POST", "/v1/lettrage"): {
            "role": "collector",
            "params": {"threshold": 0},
            "json": [
                {
                    "line_id": "AUDIT-1",
                    "date": str(day + dt.timedelta(days=20)),
                    "amount": amount,
                    "label": f"VIR REF {invoice['invoice_id']}",
                    "client_id": invoice["client_id"],
                }
            ],
        },
        ("POST", "/v1/models/reload"): {"role": "admin"},
        ("POST", "/v1/letters"): {"role": "collector", "json": letters_request(store)},
    }


def letters_request(store: Store) -> dict[str, Any]:
    """A letters request that writes letters: the step most invoices are at, at the end."""
    from tests.serving.test_letters_api import busiest_step

    step, day = busiest_step(store.settings)
    return {"step": step, "as_of": day, "pdf": False}


def writes_of(app: FastAPI) -> set[tuple[str, str]]:
    """The API's routes that may write: every method but GET and HEAD, but the reads (the
    pages' one write, an action logged from the worklist, is checked in test_pages.py)."""
    routes = route_table(app)
    return {
        (m, p) for m, p, _ in routes if m not in ("GET", "HEAD") and p.startswith("/v1")
    } - READS


def test_every_write_route_leaves_an_audit_entry_naming_the_key(
    audited: Audited, store: Store
) -> None:
    client = audited.client
    requests = write_requests(store)
    assert writes_of(client.app) == set(requests), "a write route without a test here"  # type: ignore[arg-type]
    for (method, path), request in requests.items():
        role = request["role"]
        since, last = dt.datetime.now(dt.UTC), _last_entry(audited)
        response = client.request(
            method,
            path,
            headers=auth(audited.tokens[role]),
            json=request.get("json"),
            params=request.get("params"),
        )
        assert response.status_code in (200, 201), f"{method} {path}: {response.text}"
        with audited.engine.connect() as connection:
            rows = connection.execute(select(AUDIT_LOG).where(AUDIT_LOG.c.id > last)).all()
        assert len(rows) == 1, f"{method} {path}"
        (row,) = rows
        assert (row.key_id, row.role, row.method, row.route) == (
            audited.ids[role],
            role,
            method,
            path,
        )
        at = row.at if row.at.tzinfo else row.at.replace(tzinfo=dt.UTC)
        assert since <= at <= dt.datetime.now(dt.UTC)
        assert row.summary
    actions = _audit_of(audited, "/v1/actions")
    assert requests["POST", "/v1/actions"]["json"]["invoice_id"] in actions.ids
    lettrage = _audit_of(audited, "/v1/lettrage")
    assert lettrage.ids == ["AUDIT-1-1"] and "1 payments applied" in lettrage.summary
    assert _audit_of(audited, "/v1/models/reload").ids == ["late-payment v1"]


def _last_entry(audited: Audited) -> int:
    """The number of the audit log's latest entry (the store's copy may hold some)."""
    with audited.engine.connect() as connection:
        return int(connection.execute(select(func.max(AUDIT_LOG.c.id))).scalar() or 0)


def _audit_of(audited: Audited, route: str) -> Any:
    """The latest entry of ``route``."""
    query = select(AUDIT_LOG).where(AUDIT_LOG.c.route == route).order_by(AUDIT_LOG.c.id.desc())
    with audited.engine.connect() as connection:
        return connection.execute(query.limit(1)).one()


def test_rows_written_through_the_api_name_their_key(audited: Audited, store: Store) -> None:
    client, collector = audited.client, audited.ids["collector"]
    invoice = open_invoice(store)
    day = invoice["issue_date"].date() + dt.timedelta(days=3)
    body = {"invoice_id": invoice["invoice_id"], "action_date": str(day), "channel": "letter"}
    before = dt.datetime.now(dt.UTC)
    sent = client.post("/v1/actions", headers=auth(audited.tokens["collector"]), json=body)
    assert sent.status_code == 201, sent.text
    actions, payments = TABLE_OBJECTS["actions"], TABLE_OBJECTS["payments"]
    with audited.engine.connect() as connection:
        action = connection.execute(
            select(actions).where(actions.c.action_date == day, actions.c.channel == "letter")
        ).one()
        imported = connection.execute(
            select(payments.c.recorded_by, payments.c.recorded_at).limit(1)
        ).one()
    assert action.recorded_by == collector
    recorded = action.recorded_at.replace(tzinfo=action.recorded_at.tzinfo or dt.UTC)
    assert before <= recorded <= dt.datetime.now(dt.UTC)
    assert tuple(imported) == (None, None)  # imported from files: no key wrote it
    # The contract's frames, and so its files, never carry the columns.
    loaded = load_ledger(audited.engine)
    assert "recorded_by" not in loaded.actions and "recorded_by" not in loaded.payments


def test_lettrage_payments_and_bank_lines_name_their_key(audited: Audited) -> None:
    # Runs after the walk above, which applied AUDIT-1 at threshold 0.
    payments = TABLE_OBJECTS["payments"]
    with audited.engine.connect() as connection:
        payment = connection.execute(
            select(payments).where(payments.c.payment_id == "AUDIT-1-1")
        ).one()
        line = connection.execute(select(BANK_LINES).where(BANK_LINES.c.line_id == "AUDIT-1")).one()
    assert payment.recorded_by == line.recorded_by == audited.ids["collector"]
    assert payment.recorded_at is not None and line.recorded_at is not None


def test_a_refused_write_leaves_no_audit_entry(audited: Audited) -> None:
    body = {"invoice_id": "NO-SUCH-INVOICE", "action_date": "2025-01-02", "channel": "email"}
    with audited.engine.connect() as connection:
        before = len(connection.execute(select(AUDIT_LOG.c.id)).all())
    response = audited.client.post(
        "/v1/actions", headers=auth(audited.tokens["collector"]), json=body
    )
    assert response.status_code == 404
    with audited.engine.connect() as connection:
        assert len(connection.execute(select(AUDIT_LOG.c.id)).all()) == before


def test_the_audit_log_is_for_admins_paged_and_filtered(audited: Audited) -> None:
    client, tokens = audited.client, audited.tokens
    for role in ("viewer", "collector"):
        refused = client.get("/v1/audit", headers=auth(tokens[role]))
        assert refused.status_code == 403 and refused.headers["content-type"] == PROBLEM
    admin = auth(tokens["admin"])
    page = client.get("/v1/audit", headers=admin).json()
    assert page["total"] >= 3 and len(page["entries"]) == page["total"]
    times = [entry["at"] for entry in page["entries"]]
    assert times == sorted(times, reverse=True)  # newest first
    collector = audited.ids["collector"]
    mine = client.get("/v1/audit", headers=admin, params={"key_id": collector}).json()
    assert mine["total"] >= 2 and {e["key_id"] for e in mine["entries"]} == {collector}
    first = client.get("/v1/audit", headers=admin, params={"limit": 1, "offset": 1}).json()
    assert first["entries"] == page["entries"][1:2] and first["total"] == page["total"]
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    later = client.get("/v1/audit", headers=admin, params={"since": tomorrow}).json()
    assert later["total"] == 0
    earlier = client.get("/v1/audit", headers=admin, params={"until": "2000-01-01"}).json()
    assert earlier["total"] == 0
    today = client.get("/v1/audit", headers=admin, params={"since": dt.date.today().isoformat()})
    assert today.json()["total"] == page["total"]
    bad = client.get("/v1/audit", headers=admin, params={"since": "yesterday"})
    assert bad.status_code == 422 and "since" in bad.json()["detail"]
