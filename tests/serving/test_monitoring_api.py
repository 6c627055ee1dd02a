"""GET /v1/monitoring, the scores the API logs for it, its gauges and the models page."""

from __future__ import annotations

import pandas as pd
from fastapi.testclient import TestClient

from ledger.score_log import read_scores
from ledger.storage import make_engine
from tests.serving.conftest import Store, auth


def _stored_invoice(store: Store) -> dict[str, str]:
    """An invoice of the store's ledger, as a score request sends it."""
    row = store.ledger.invoices[store.ledger.invoices["doc_type"] == "invoice"].iloc[-1]
    return {
        "invoice_id": str(row["invoice_id"]),
        "client_id": str(row["client_id"]),
        "issue_date": row["issue_date"].date().isoformat(),
        "due_date": row["due_date"].date().isoformat(),
        "amount": str(row["amount_cents"] / 100),
    }


def test_scores_are_logged_and_monitoring_answers(
    keyed_app: tuple[TestClient, dict[str, str]], store: Store
) -> None:
    client, keys = keyed_app
    viewer = auth(keys["viewer"])
    assert client.get("/v1/monitoring").status_code == 401
    invoice = _stored_invoice(store)
    as_of = invoice["issue_date"]
    scored = client.post(
        "/v1/invoices/score",
        json={"invoices": [invoice, invoice | {"invoice_id": None}], "as_of": as_of},
        headers=viewer,
        params={"reasons": "false"},
    )
    assert scored.status_code == 200, scored.text
    end = store.ledger.invoices["issue_date"].max().date().isoformat()
    response = client.get("/v1/monitoring", params={"as_of": end}, headers=viewer)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"psi", "matured", "alerts"}
    assert isinstance(body["alerts"], list)
    assert set(body["psi"]["windows"]) == {"30d", "90d"}
    assert body["psi"]["model_version"] == "1"
    # The route wrote what the API had kept: the stored invoice's score, the prospect's not.
    engine = make_engine(store.settings.database_url)
    logged = read_scores(engine)
    engine.dispose()
    mine = logged[logged["invoice_id"] == invoice["invoice_id"]]
    assert len(mine) >= 1
    assert mine["as_of"].iloc[-1] == pd.Timestamp(as_of)
    assert mine["model_version"].iloc[-1] == "1"
    assert mine["p_late"].iloc[-1] == scored.json()["scores"][0]["p_late"]
    assert logged["invoice_id"].notna().all()
    # The gauges show what the route computed.
    metrics = client.get("/metrics", headers=viewer).text
    alerts = len(body["alerts"])
    assert f'encours_monitoring{{figure="alerts"}} {float(alerts)}' in metrics
    assert 'encours_monitoring_feature_psi{feature="inv_terms_days"}' in metrics
