"""The app factory with test settings: readiness and errors before any model exists."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from encours.settings import Settings
from ledger.storage import make_engine, migrate, save_ledger
from serving.api.app import create_app
from serving.api_keys import create_key
from tests.ledger.factories import small_ledger


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """An app on a small imported ledger and an empty model store, sending a collector key."""
    settings = Settings(database_url=f"sqlite:///{tmp_path}/l.db", models_dir=tmp_path / "m")
    engine = make_engine(settings.database_url)
    migrate(engine)  # as `encours db upgrade` does: the API never migrates
    app = create_app(settings)
    with TestClient(app) as test_client:
        save_ledger(engine, small_ledger())
        token = create_key(engine, "collector", "tests").token
        test_client.headers["Authorization"] = f"Bearer {token}"
        yield test_client


def test_alive_but_not_ready_without_a_model(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["detail"] == {"database": "ok", "late_model": "none registered"}


def test_scoring_without_a_model_is_a_503_problem(client: TestClient) -> None:
    body = {
        "invoices": [
            {
                "client_id": "C1",
                "issue_date": "2024-03-01",
                "due_date": "2024-03-31",
                "amount": "10.00",
            }
        ]
    }
    response = client.post("/v1/invoices/score", json=body)
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "encours train" in response.json()["detail"]


def test_kpis_need_no_model(client: TestClient) -> None:
    response = client.get("/v1/kpis", params={"as_of": "2024-03-15"})
    assert response.status_code == 200
    # Same hand-worked figure as the CLI test: échu 350.50 + à émettre 300 − avances 100.
    assert response.json()["encours"] == 550.50


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"invoices": []}, "invoices"),
        (
            {
                "invoices": [
                    {
                        "client_id": "C1",
                        "issue_date": "2024-03-01",
                        "due_date": "2024-02-01",
                        "amount": "10.00",
                    }
                ]
            },
            "invoices.0",
        ),
        (
            {
                "invoices": [
                    {
                        "client_id": "C1",
                        "issue_date": "2024-03-01",
                        "due_date": "2024-03-31",
                        "amount": "1e20",
                    }
                ]
            },
            "invoices.0.amount",
        ),
        (
            {
                "invoices": [
                    {
                        "client_id": "C1",
                        "issue_date": "2024-03-01",
                        "due_date": "2024-03-31",
                        "amount": "10",
                        "colour": "red",
                    }
                ]
            },
            "invoices.0.colour",
        ),
    ],
    ids=["empty", "due-before-issue", "absurd-amount", "unknown-field"],
)
def test_bad_requests_are_422_problems(client: TestClient, body: dict, field: str) -> None:
    response = client.post("/v1/invoices/score", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert field in {e["field"] for e in response.json()["errors"]}


def test_dates_out_of_range_are_422_problems(client: TestClient) -> None:
    # Was a 500: the bank lines' dates go into timestamps, which start in 1677.
    line = {"line_id": "B0", "date": "0001-01-01", "amount": "10.00", "label": "F2"}
    lettrage = client.post("/v1/lettrage", json=[line])
    invoice = {"client_id": "C1", "issue_date": "2024-03-01", "due_date": "2024-03-31"}
    body = {"invoices": [invoice | {"amount": "10"}], "as_of": "9999-12-31"}
    score = client.post("/v1/invoices/score", json=body)
    for response, field in ((lettrage, "0.date"), (score, "as_of")):
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert field in {e["field"] for e in response.json()["errors"]}


def test_lettrage_applies_once_then_nothing(client: TestClient) -> None:
    # F2 (C2, 550.50, 200.00 already paid) has 350.50 open: a transfer naming it settles it.
    line = {
        "line_id": "B1",
        "date": "2024-03-20",
        "amount": "350.50",
        "label": "VIR SEPA VILLE DE X REF F2",
        "client_id": "C2",
    }
    first = client.post("/v1/lettrage", json=[line])
    assert first.status_code == 200, first.text
    assert first.json()["applied"] == 1
    again = client.post("/v1/lettrage", json=[line])
    assert again.status_code == 200
    assert again.json()["applied"] == 0
    changed = client.post("/v1/lettrage", json=[line | {"amount": "351.00"}])
    assert changed.status_code == 422
    assert changed.headers["content-type"] == "application/problem+json"


def test_a_warm_app_reads_the_ledger_before_the_first_request(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/l.db", models_dir=tmp_path / "m")
    engine = make_engine(settings.database_url)
    migrate(engine)
    save_ledger(engine, small_ledger())
    for warm in (False, True):
        with TestClient(create_app(settings, warm=warm)) as client:
            held = client.app.state.encours.ledger.ready()  # type: ignore[attr-defined]
            # Warm: the snapshot is there before anyone asked; cold: the first request reads it.
            assert (held is not None) is warm
            if held is not None:
                assert len(held.ledger.invoices) == len(small_ledger().invoices)


def test_the_app_computes_the_pages_figures_ahead_unless_told_not_to(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/l.db", models_dir=tmp_path / "m")
    engine = make_engine(settings.database_url)
    migrate(engine)
    save_ledger(engine, small_ledger())
    for warm_pages in (True, False):
        chosen = settings.model_copy(update={"warm_pages": warm_pages})
        with TestClient(create_app(chosen, warm=True)) as client:
            state = client.app.state.encours  # type: ignore[attr-defined]
            assert (state.ledger.warm is not None) is warm_pages
            held = state.ledger.ready()
            deadline = time.monotonic() + 30
            while warm_pages and held.results.made < 13 and time.monotonic() < deadline:
                time.sleep(0.05)  # the KPIs of the trend's 13 dates, first of the figures
            assert (held.results.made >= 13) is warm_pages


def test_the_app_refuses_a_database_that_is_behind_and_leaves_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from ledger.revisions import SchemaNotCurrent, current_revision
    from tests.ledger.test_revisions import migrate_to

    settings = Settings(database_url=f"sqlite:///{tmp_path}/l.db", models_dir=tmp_path / "m")
    engine = make_engine(settings.database_url)
    migrate_to(engine, "0003")
    with (
        caplog.at_level("ERROR", logger="encours.api"),
        pytest.raises(SchemaNotCurrent),
        TestClient(create_app(settings)),
    ):
        pass  # pragma: no cover - the start fails
    lines = [r.getMessage() for r in caplog.records if r.name == "encours.api"]
    assert len(lines) == 1 and "revision 0003" in lines[0] and "`encours db upgrade`" in lines[0]
    assert current_revision(engine) == "0003"  # the API did not migrate it
