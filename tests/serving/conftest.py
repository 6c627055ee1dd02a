"""Shared by the serving tests: a tiny ledger and two registered late-payment versions.

``train_models`` fits, evaluates and logs three models (about a minute here, most of it in
MLflow's logging); the serving tests need only late-payment models that score, so they fit
two and log them lean, once per session.
"""

from __future__ import annotations

import os

# As in tests/training: LightGBM's OpenMP threads spin against other load unless passive.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from encours.settings import Settings
from ledger.contract import Ledger
from ledger.storage import load_ledger, make_engine, migrate, save_ledger
from serving.api_keys import Role, create_key
from simulator import SimulationConfig, simulate
from training.models import LATE_MODEL

CONFIG = SimulationConfig(n_clients=40, n_months=14, seed=11)


@dataclass(frozen=True)
class Store:
    """A ledger database and an MLflow store holding late-payment versions 1 and 2."""

    settings: Settings
    ledger: Ledger

    def set_champion(self, version: str) -> None:
        """Point late-payment@champion at ``version``."""
        from mlflow import MlflowClient

        from training.tracking import CHAMPION

        uri = self.settings.tracking_uri
        client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        client.set_registered_model_alias(LATE_MODEL, CHAMPION, version)


def _register(model: object) -> str:
    """Log ``model`` as a new late-payment version; returns its number."""
    import mlflow

    from training.registry import log_model
    from training.tracking import quiet_mlflow

    with quiet_mlflow(), mlflow.start_run():
        info = log_model(LATE_MODEL, model)  # no requirements: inferring them takes seconds
    return str(info.registered_model_version)


def saved_ledger(root: Path) -> tuple[Settings, Ledger]:
    """Settings on a fresh database and MLflow store under ``root``, the simulated ledger
    (:data:`CONFIG`) saved there, and the ledger as the database gives it back."""
    settings = Settings(
        database_url=f"sqlite:///{root}/ledger.db",
        models_dir=root / "models",
        ledger_refresh_seconds=3600,
    )
    engine = make_engine(settings.database_url)
    migrate(engine)
    save_ledger(engine, simulate(CONFIG).ledger)
    ledger = load_ledger(engine)
    engine.dispose()
    return settings, ledger


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The simulated ledger saved, and two late-payment fits registered; v1 is champion."""
    from training.dataset import ledger_end, out_of_time_split
    from training.late_payment import LatePaymentModel
    from training.targets import late_outcome
    from training.tracking import use_store
    from training.train import default_cutoff

    settings, ledger = saved_ledger(tmp_path_factory.mktemp("serving-store"))
    end = ledger_end(ledger)
    split = out_of_time_split(ledger, default_cutoff(end), end)
    y = late_outcome(split.train, split.cutoff)
    known = y.notna().to_numpy()
    use_store(settings.tracking_uri, settings.artifacts_uri)
    for folds in (5, 4):  # two different fits: versions 1 and 2
        model = LatePaymentModel(calibration_folds=folds)
        model.fit(split.x_train[known], y[known], split.train["issue_date"][known])
        _register(model)
    result = Store(settings, ledger)
    result.set_champion("1")
    return result


def keys_for(settings: Settings) -> dict[str, str]:
    """A token of each role, and of a revoked key (``revoked``), in the store's database."""
    from serving.api_keys import revoke_key

    engine = make_engine(settings.database_url)
    tokens = {role.value: create_key(engine, role, f"test {role}").token for role in Role}
    revoked = create_key(engine, Role.ADMIN, "revoked")
    revoke_key(engine, revoked.key.id)
    engine.dispose()
    return tokens | {"revoked": revoked.token}


def auth(token: str) -> dict[str, str]:
    """The header carrying ``token``."""
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def keyed_app(store: Store) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """The app on the store (v1 loaded), and a token per role; one per test module."""
    from serving.api.app import create_app

    app = create_app(store.settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, keys_for(store.settings)


# The browser tests' fixtures (Chromium, the real server), for every serving test module.
from tests.serving.browser import browser_page, playwright, served_site  # noqa: E402, F401
