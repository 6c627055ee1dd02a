"""A champion without trees, end to end: a recalibrated client-effect model registered in
an MLflow store, loaded back by the service and served by POST /v1/invoices/score.

The shared store (conftest) holds boosters only; this module builds its own, on the same
small ledger, so that which model is champion there stays as the other modules expect.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from encours.settings import Settings
from features.pipeline import FeatureBuilder
from ledger.contract import Ledger
from ledger.storage import make_engine
from serving.scoring import LoadedModel, full_scores
from tests.serving.conftest import auth, saved_ledger
from training.late_choice import CalibratedLateModel, late_contributions_of, late_probability
from training.models import LATE_MODEL


@dataclass(frozen=True)
class Served:
    """The store's settings and ledger, and the model registered as champion."""

    settings: Settings
    ledger: Ledger
    model: CalibratedLateModel


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Served:
    """The ledger saved, a recalibrated client-effect model registered as champion."""
    import mlflow
    from mlflow import MlflowClient

    from training.client_effect import ClientEffectModel
    from training.dataset import ledger_end, out_of_time_split
    from training.late_payment import SigmoidCalibrator
    from training.registry import log_model
    from training.targets import late_outcome
    from training.tracking import CHAMPION, quiet_mlflow, use_store
    from training.train import default_cutoff

    settings, ledger = saved_ledger(tmp_path_factory.mktemp("additive-store"))
    end = ledger_end(ledger)
    split = out_of_time_split(ledger, default_cutoff(end), end)
    y = late_outcome(split.train, split.cutoff)
    known = y.notna().to_numpy()
    x, clients = split.x_train[known], split.train["client_id"][known]
    effect = ClientEffectModel().fit(x, y[known], split.train["issue_date"][known], clients)
    raw = late_probability(effect, x, clients)
    # A calibrator that visibly moves the probabilities: a lost one would show.
    model = CalibratedLateModel(effect, SigmoidCalibrator().fit(raw, (raw > 0.4).astype(int)))
    use_store(settings.tracking_uri, settings.artifacts_uri)
    with quiet_mlflow(), mlflow.start_run():
        info = log_model(LATE_MODEL, model)
    uri = settings.tracking_uri
    MlflowClient(tracking_uri=uri, registry_uri=uri).set_registered_model_alias(
        LATE_MODEL, CHAMPION, str(info.registered_model_version)
    )
    return Served(settings, ledger, model)


def _invoices(ledger: Ledger) -> tuple[pd.DataFrame, pd.Timestamp]:
    """The ledger's last 6 invoices and the day they are scored at (the last issue)."""
    invoices = ledger.invoices
    some = invoices[invoices["doc_type"] == "invoice"].tail(6).reset_index(drop=True)
    return some, pd.Timestamp(some["issue_date"].max())


def test_the_champion_loads_back_scoring_and_explaining_alike(served: Served) -> None:
    from serving.champions import load_models

    loaded = load_models(served.settings).get(LATE_MODEL)
    assert loaded is not None
    assert isinstance(loaded.model, CalibratedLateModel)
    assert type(loaded.model.model) is type(served.model.model)
    some, as_of = _invoices(served.ledger)
    x = FeatureBuilder().fit(served.ledger).transform(some, as_of)
    clients = some["client_id"]
    p = late_probability(served.model, x, clients)
    np.testing.assert_allclose(loaded.predict_late(x, clients), p, atol=1e-12)
    assert not np.allclose(p, late_probability(served.model.model, x, clients), atol=1e-3)
    matrix = loaded.model.booster_input.matrix(x)
    np.testing.assert_allclose(
        late_contributions_of(loaded.model, matrix, clients),
        late_contributions_of(served.model, matrix, clients),
        atol=1e-12,
    )


def _body(some: pd.DataFrame, as_of: pd.Timestamp) -> dict[str, Any]:
    """The invoices as a score request (the ledger's fields; its x_ columns left out)."""
    day = str(as_of.date())
    return {
        "as_of": day,
        "invoices": [
            {
                "invoice_id": str(row.invoice_id),
                "client_id": str(row.client_id),
                "issue_date": str(pd.Timestamp(row.issue_date).date()),
                "due_date": str(pd.Timestamp(row.due_date).date()),
                "amount": f"{int(row.amount_cents) / 100:.2f}",
                "currency": str(row.currency),
                "disputed": bool(row.disputed),
            }
            for row in some.itertuples()
        ],
    }


@pytest.fixture(scope="module")
def api(served: Served) -> Iterator[tuple[TestClient, str]]:
    """The app on the store, and a viewer's token."""
    from serving.api.app import create_app
    from serving.api_keys import create_key

    engine = make_engine(served.settings.database_url)
    token = create_key(engine, "viewer", "additive champion").token
    engine.dispose()
    with TestClient(create_app(served.settings), raise_server_exceptions=False) as client:
        yield client, token


def test_the_api_scores_with_the_champion_and_gives_reasons(
    served: Served, api: tuple[TestClient, str]
) -> None:
    from serving.api.routes.scores import invoice_arrays

    client, token = api
    some, as_of = _invoices(served.ledger)
    body = _body(some, as_of)
    response = client.post("/v1/invoices/score", json=body, headers=auth(token))
    assert response.status_code == 200, response.text
    scores = response.json()["scores"]
    # What the registered model itself says of the very same invoices, reasons included.
    columns: dict[str, list[Any]] = {
        name: [item.get(name) for item in body["invoices"]]
        for name in ("invoice_id", "client_id", "currency", "disputed")
    }
    columns["amount_cents"] = [round(float(i["amount"]) * 100) for i in body["invoices"]]
    for name in ("issue_date", "due_date"):
        columns[name] = [pd.Timestamp(i[name]).date() for i in body["invoices"]]
    expected = full_scores(
        FeatureBuilder().fit(served.ledger),
        LoadedModel(LATE_MODEL, "1", served.model),
        None,
        invoice_arrays(columns),
        as_of,
        explain=True,
    )
    np.testing.assert_allclose([s["p_late"] for s in scores], expected.p_late, atol=1e-9)
    assert expected.reasons is not None
    for item, reasons in zip(scores, expected.reasons, strict=True):
        assert item["reasons"], "every score comes with its reasons"
        assert [r["feature"] for r in item["reasons"]] == [r.feature for r in reasons]
        np.testing.assert_allclose(
            [r["contribution"] for r in item["reasons"]],
            [r.contribution for r in reasons],
            atol=1e-9,
        )
