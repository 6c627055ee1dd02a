"""Operations: the models served, reloads under load, metrics, batch limits, aged balance."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from ledger.kpis import aged_balance
from tests.serving.conftest import Store, auth

Served = tuple[TestClient, dict[str, str]]
PROBLEM = "application/problem+json"


def score_body(store: Store, n: int = 1) -> dict:
    """``n`` new invoices of the ledger's first client, seen at a fixed date."""
    client_id = str(store.ledger.clients["client_id"].iloc[0])
    invoice = {
        "client_id": client_id,
        "issue_date": "2025-01-10",
        "due_date": "2025-02-09",
        "amount": "1500.00",
    }
    return {"as_of": "2025-01-10", "invoices": [invoice] * n}


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of the sample ``name{labels}`` in a Prometheus exposition, None if absent."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    return None


def test_models_lists_the_champion_and_when_it_was_loaded(keyed_app: Served) -> None:
    client, tokens = keyed_app
    response = client.get("/v1/models", headers=auth(tokens["viewer"]))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["failure"] is None
    late = next(m for m in body["models"] if m["name"] == "late-payment")
    assert late["version"] == "1"
    loaded_at = dt.datetime.fromisoformat(late["loaded_at"])
    assert dt.timedelta(0) <= dt.datetime.now(dt.UTC) - loaded_at < dt.timedelta(hours=1)


def test_reloads_under_load_drop_no_request(keyed_app: Served, store: Store) -> None:
    client, tokens = keyed_app
    viewer, admin = auth(tokens["viewer"]), auth(tokens["admin"])
    body = score_body(store)

    def p_late_of(version: str) -> float:
        store.set_champion(version)
        assert client.post("/v1/models/reload", headers=admin).status_code == 200
        answer = client.post("/v1/invoices/score", json=body, headers=viewer).json()
        assert answer["model"]["version"] == version
        return float(answer["scores"][0]["p_late"])

    expected = {version: p_late_of(version) for version in ("2", "1")}
    assert expected["1"] != pytest.approx(expected["2"])  # two fits tell apart who answered

    answers: list[tuple[int, str | None, float | None]] = []
    stop = threading.Event()

    def fire() -> None:
        while not stop.is_set():
            r = client.post("/v1/invoices/score", json=body, headers=viewer)
            ok = r.status_code == 200
            version = r.json()["model"]["version"] if ok else None
            answers.append(
                (r.status_code, version, r.json()["scores"][0]["p_late"] if ok else None)
            )

    firing = [threading.Thread(target=fire) for _ in range(3)]
    for thread in firing:
        thread.start()
    try:
        for version in ("2", "1", "2", "1"):
            store.set_champion(version)
            reload = client.post("/v1/models/reload", headers=admin)
            assert reload.status_code == 200, reload.text
            late = [m for m in reload.json()["models"] if m["name"] == "late-payment"]
            assert late[0]["version"] == version
    finally:
        stop.set()
        for thread in firing:
            thread.join()
        store.set_champion("1")
    assert len(answers) >= 10
    assert {status for status, _, _ in answers} == {200}
    # Each answer is whole: the version it names is the one whose probability it gives.
    for _, version, p_late in answers:
        assert version is not None
        assert p_late == pytest.approx(expected[version])
    assert {version for _, version, _ in answers} == {"1", "2"}


def test_an_unreachable_registry_keeps_the_models_and_says_so(
    keyed_app: Served,
    store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client, tokens = keyed_app
    viewer, admin = auth(tokens["viewer"]), auth(tokens["admin"])
    state = client.app.state.encours  # type: ignore[attr-defined]
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    unreachable = state.settings.model_copy(update={"mlflow_uri": f"sqlite:///{blocker}/m.db"})
    monkeypatch.setattr(state, "settings", unreachable)
    store.set_champion("2")  # a reachable registry would now swap v1 for v2
    try:
        with caplog.at_level(logging.WARNING, logger="encours.api"):
            failed = client.post("/v1/models/reload", headers=admin)
        assert failed.status_code == 503
        assert failed.headers["content-type"] == PROBLEM
        assert "still serving late-payment v1" in failed.json()["detail"]
        assert any("model reload failed" in r.getMessage() for r in caplog.records)

        ready = client.get("/readyz")
        assert ready.status_code == 200  # it still answers, on the models it kept
        assert ready.json()["detail"]["late_model"].startswith("late-payment v1 (reload failed at ")
        models = client.get("/v1/models", headers=viewer).json()
        assert "reload failed" in models["failure"]
        scored = client.post("/v1/invoices/score", json=score_body(store), headers=viewer)
        assert (scored.status_code, scored.json()["model"]["version"]) == (200, "1")
    finally:
        monkeypatch.undo()
        store.set_champion("1")
    again = client.post("/v1/models/reload", headers=admin)
    assert again.status_code == 200
    assert again.json()["failure"] is None
    assert client.get("/readyz").json()["detail"]["late_model"] == "late-payment v1"


def test_metrics_count_requests_by_route_and_status_and_show_versions(
    keyed_app: Served,
) -> None:
    client, tokens = keyed_app
    viewer = auth(tokens["viewer"])
    assert client.get("/v1/kpis", params={"as_of": "2025-01-10"}, headers=viewer).is_success
    assert client.get("/v1/kpis").status_code == 401
    assert client.get("/no/such/page", headers=viewer).status_code == 404
    assert client.get("/metrics").status_code == 401
    response = client.get("/metrics", headers=viewer)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    kpis = {"method": "GET", "route": "/v1/kpis"}
    assert (sample(text, "encours_http_requests_total", **kpis, status="200") or 0) >= 1
    assert (sample(text, "encours_http_requests_total", **kpis, status="401") or 0) >= 1
    assert (
        sample(text, "encours_http_request_duration_seconds_count", **kpis, status="200") or 0
    ) >= 1
    assert sample(text, "encours_http_requests_total", route="unmatched", status="404") == 1
    assert sample(text, "encours_model_version", model="late-payment") == 1.0


def test_batches_above_the_limit_are_413_problems(
    keyed_app: Served, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, tokens = keyed_app
    state = client.app.state.encours  # type: ignore[attr-defined]
    monkeypatch.setattr(state, "settings", state.settings.model_copy(update={"max_batch": 2}))
    viewer = auth(tokens["viewer"])
    too_many = client.post("/v1/invoices/score", json=score_body(store, 3), headers=viewer)
    assert too_many.status_code == 413
    assert too_many.headers["content-type"] == PROBLEM
    assert "at most 2 per request" in too_many.json()["detail"]
    assert client.post("/v1/invoices/score", json=score_body(store, 2), headers=viewer).is_success
    line = {"line_id": "L", "date": "2025-01-10", "amount": "10.00", "label": "VIR"}
    lines = [line | {"line_id": f"L{i}"} for i in range(3)]
    refused = client.post("/v1/lettrage", json=lines, headers=auth(tokens["collector"]))
    assert refused.status_code == 413
    assert "at most 2 per request" in refused.json()["detail"]
    documented = client.get("/openapi.json").json()["paths"]
    assert "413" in documented["/v1/invoices/score"]["post"]["responses"]
    assert "413" in documented["/v1/lettrage"]["post"]["responses"]


def test_aged_balance_per_currency_is_the_ledgers(keyed_app: Served, store: Store) -> None:
    client, tokens = keyed_app
    viewer = auth(tokens["viewer"])
    as_of = dt.date(2025, 1, 10)
    response = client.get("/v1/aged-balance", params={"as_of": as_of.isoformat()}, headers=viewer)
    assert response.status_code == 200, response.text
    body = response.json()
    expected = aged_balance(store.ledger, as_of)
    assert body["as_of"] == as_of.isoformat()
    assert [line["currency"] for line in body["balances"]] == sorted(expected)
    for line in body["balances"]:
        buckets = expected[line["currency"]].as_json()
        assert {k: line[k] for k in buckets} == buckets
        invoiced = sum(v for k, v in buckets.items() if k != "non_affecte")
        assert line["total"] == pytest.approx(invoiced)
    eur = next(line for line in body["balances"] if line["currency"] == "EUR")
    assert eur["total"] > 0
    kpis = client.get("/v1/kpis", params={"as_of": as_of.isoformat()}, headers=viewer).json()
    assert kpis["aged_balance"] == {k: eur[k] for k in kpis["aged_balance"]}
    usd = client.get(
        "/v1/aged-balance", params={"as_of": as_of.isoformat(), "currency": "USD"}, headers=viewer
    ).json()["balances"]
    assert [(line["currency"], line["total"]) for line in usd] == [("USD", 0.0)]
    bad = client.get("/v1/aged-balance", params={"as_of": "10/01/2025"}, headers=viewer)
    assert (bad.status_code, bad.headers["content-type"]) == (422, PROBLEM)


def test_an_unreachable_registry_at_start_leaves_the_app_up_but_not_ready(tmp_path: Path) -> None:
    from encours.settings import Settings
    from serving.api.app import create_app

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/l.db", mlflow_uri=f"sqlite:///{blocker}/m.db"
    )
    from ledger.storage import make_engine, migrate

    migrate(make_engine(settings.database_url))
    with TestClient(create_app(settings)) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["detail"]["late_model"].startswith("none loaded (load failed at ")
