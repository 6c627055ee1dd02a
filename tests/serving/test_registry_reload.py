"""Reloads read the registry as it is now: a store file replaced, renamed, emptied and
restored under a running app; readiness names no error to a caller without a key."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from encours.settings import Settings
from tests.serving.conftest import Store, auth, keys_for
from training.models import LATE_MODEL

Running = tuple[TestClient, Settings, dict[str, str]]


def champion_of(settings: Settings, version: str) -> None:
    """Point late-payment@champion at ``version`` in ``settings``' store."""
    from mlflow import MlflowClient

    from training.tracking import CHAMPION

    uri = settings.tracking_uri
    MlflowClient(tracking_uri=uri, registry_uri=uri).set_registered_model_alias(
        LATE_MODEL, CHAMPION, version
    )


@pytest.fixture
def running(store: Store, tmp_path: Path) -> Iterator[Running]:
    """The app on a copy of the session's MLflow store (v1 champion), and keys."""
    from serving.api.app import create_app

    models = tmp_path / "models"
    shutil.copytree(store.settings.models_dir, models)  # artifacts stay where they were
    settings = store.settings.model_copy(update={"models_dir": models})
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client, settings, keys_for(settings)


def served_version(client: TestClient, token: str) -> str:
    """The late-payment version the app serves."""
    body = client.get("/v1/models", headers=auth(token)).json()
    return next(m["version"] for m in body["models"] if m["name"] == LATE_MODEL)


def reload(client: TestClient, token: str) -> int:
    """The status of a reload."""
    return client.post("/v1/models/reload", headers=auth(token)).status_code


def test_a_replaced_registry_file_is_read_at_the_next_reload(
    running: Running, tmp_path: Path
) -> None:
    client, settings, tokens = running
    admin = tokens["admin"]
    assert served_version(client, admin) == "1"
    assert reload(client, admin) == 200  # the app's store connections are open now
    store_file = settings.models_dir / "mlflow.db"
    replacement = tmp_path / "replacement"
    replacement.mkdir()
    shutil.copy(store_file, replacement / "mlflow.db")
    champion_of(settings.model_copy(update={"models_dir": replacement}), "2")
    os.replace(replacement / "mlflow.db", store_file)  # a new file under the same name
    assert reload(client, admin) == 200
    assert served_version(client, admin) == "2"


def test_a_renamed_or_emptied_registry_fails_reloads_until_it_is_back(
    running: Running, tmp_path: Path
) -> None:
    client, settings, tokens = running
    admin = tokens["admin"]
    store_file = settings.models_dir / "mlflow.db"
    champion_of(settings, "2")
    assert reload(client, admin) == 200
    saved = store_file.read_bytes()

    store_file.rename(tmp_path / "away.db")  # renamed: the old file must not be read still
    assert reload(client, admin) == 503
    assert served_version(client, admin) == "2"  # kept
    (tmp_path / "away.db").rename(store_file)

    with store_file.open("r+b") as emptied:
        emptied.truncate(0)
    assert reload(client, admin) == 503
    assert store_file.stat().st_size == 0  # the reload wrote nothing into it
    ready = client.get("/readyz")
    late = ready.json()["detail"]["late_model"]
    assert late.startswith("late-payment v2 (reload failed at ")
    assert late.endswith(": registry unavailable)")
    assert "mlflow.db" not in ready.text and "Error" not in ready.text

    store_file.write_bytes(saved)  # restored, without a restart
    assert reload(client, admin) == 200
    assert served_version(client, admin) == "2"
    assert client.get("/readyz").json()["detail"]["late_model"] == "late-payment v2"
