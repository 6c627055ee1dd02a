"""``retrain --if-degraded``: train only on an alert, and log every decision in MLflow."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from ledger.storage import make_engine
from serving.services import context_of, load_champions
from serving.services.retraining import retrain
from tests.serving.conftest import Store
from training.models import LATE_MODEL
from training.retrain_log import DECISION_TAG
from training.tracking import use_store

CALM = {"monitor_psi_alert": 1e6, "monitor_unseen_share_alert": 1.0,
        "monitor_calibration_alert": 1.0, "monitor_auc_alert": 0.0}  # fmt: skip
TOUCHY = {"monitor_psi_alert": 1e-9}  # the score's PSI always passes it


def _report() -> Any:
    """What :func:`training.train.train_models` reports, reduced to what is read."""
    registration = SimpleNamespace(
        name=LATE_MODEL, version="3", promoted=False, champion_score=0.19
    )
    evaluation = SimpleNamespace(metrics={"brier": 0.21, "mae_days": 9.0}, unseen_clients={})
    return SimpleNamespace(registrations=[registration], evaluation=evaluation)


@pytest.fixture
def setting(store: Store, tmp_path: Path) -> Iterator[Any]:
    """The store's ledger and champion, its MLflow store copied (decisions are logged there)."""
    models = tmp_path / "models"
    shutil.copytree(store.settings.models_dir, models)
    settings = store.settings.model_copy(update={"models_dir": models})
    use_store(settings.tracking_uri, settings.artifacts_uri)
    yield settings
    use_store(store.settings.tracking_uri, store.settings.artifacts_uri)  # as the others expect


def _decide(store: Store, settings: Any, thresholds: dict[str, float], **options: Any) -> Any:
    trained: list[object] = []

    def train(ledger: object) -> Any:
        trained.append(ledger)
        return _report()

    tuned = settings.model_copy(update=thresholds)
    ctx = context_of(store.ledger, load_champions(tuned, [LATE_MODEL]), tuned)
    engine = make_engine(store.settings.database_url)
    end = store.ledger.invoices["issue_date"].max().date()
    made = retrain(ctx, engine, train, end, **options)
    engine.dispose()
    return made, trained


def _decisions(settings: Any) -> dict[str, Any]:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=settings.tracking_uri)
    runs = client.search_runs(
        [e.experiment_id for e in client.search_experiments()],
        filter_string=f"tags.`{DECISION_TAG}` != ''",
    )
    return {run.info.run_id: run for run in runs}


def test_no_alert_keeps_the_champion(store: Store, setting: Any) -> None:
    made, trained = _decide(store, setting, CALM, if_degraded=True)
    assert made.alerts == [] and not made.retrained and trained == []
    run = _decisions(setting)[made.run_id]
    assert run.data.tags[DECISION_TAG] == "keep"
    assert run.data.params == {
        "as_of": made.as_of.isoformat(),
        "degraded": "False",
        "retrained": "False",
    }
    assert run.data.metrics == {"alerts": 0.0}


def test_an_alert_trains_and_the_gate_is_logged(store: Store, setting: Any) -> None:
    made, trained = _decide(store, setting, TOUCHY, if_degraded=True)
    assert made.alerts and made.retrained and trained == [store.ledger]
    assert made.models == [
        {"name": LATE_MODEL, "version": "3", "promoted": False, "loss": 0.21, "champion_loss": 0.19}
    ]
    run = _decisions(setting)[made.run_id]
    assert run.data.tags[DECISION_TAG] == "retrain"
    assert run.data.metrics[f"{LATE_MODEL}_promoted"] == 0.0
    assert run.data.metrics[f"{LATE_MODEL}_loss"] == 0.21
    assert run.data.metrics[f"{LATE_MODEL}_champion_loss"] == 0.19
    assert run.data.metrics["alerts"] == float(len(made.alerts))


def test_without_if_degraded_it_always_trains(store: Store, setting: Any) -> None:
    made, trained = _decide(store, setting, CALM, if_degraded=False)
    assert made.alerts == [] and made.retrained and len(trained) == 1
    assert made.as_of <= dt.date.today()
