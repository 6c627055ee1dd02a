"""Reloads read the registry as it is now: a store file replaced, renamed, emptied and
restored under a running app; readiness names no error to a caller without a key. A
champion whose features the code no longer makes is refused, at start and at a reload."""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from encours.settings import Settings
from tests.serving.conftest import Store, auth, keys_for
from tests.serving.test_ops import PROBLEM, score_body
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


RENAMED = "hist_mean_days_late"
REFUSED = (
    "the champion late-payment v{version} needs features [hist_mean_days_late] that this "
    "version of encours no longer makes: retrain with `encours train`"
)


def rename_feature(monkeypatch: pytest.MonkeyPatch) -> None:
    """This version of encours makes ``hist_mean_days_late`` under another name."""
    from features import pipeline

    specs = [
        dataclasses.replace(s, name="hist_mean_days_overdue") if s.name == RENAMED else s
        for s in pipeline.SPECS
    ]
    monkeypatch.setattr(pipeline, "SPECS", tuple(specs))


def test_a_champion_whose_features_are_no_longer_made_is_refused_at_start(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from serving.api.app import create_app

    models = tmp_path / "models"
    shutil.copytree(store.settings.models_dir, models)
    settings = store.settings.model_copy(update={"models_dir": models})
    rename_feature(monkeypatch)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        viewer = auth(keys_for(settings)["viewer"])
        scored = client.post("/v1/invoices/score", json=score_body(store), headers=viewer)
        ready = client.get("/readyz")
        listed = client.get("/v1/models", headers=viewer).json()
    assert (scored.status_code, scored.headers["content-type"]) == (503, PROBLEM)
    assert scored.json()["detail"] == REFUSED.format(version="1")
    assert ready.status_code == 503
    late = ready.json()["detail"]["late_model"]
    assert late.startswith("none loaded (load failed at ")
    assert late.endswith(f": {REFUSED.format(version='1')})")
    assert "late-payment" not in [m["name"] for m in listed["models"]]
    assert REFUSED.format(version="1") in listed["failure"]


def test_a_reload_refuses_a_champion_whose_features_are_no_longer_made(
    running: Running, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, settings, tokens = running
    admin, viewer = auth(tokens["admin"]), auth(tokens["viewer"])
    rename_feature(monkeypatch)
    champion_of(settings, "2")
    refused = client.post("/v1/models/reload", headers=admin)
    assert (refused.status_code, refused.headers["content-type"]) == (503, PROBLEM)
    detail = refused.json()["detail"]
    assert REFUSED.format(version="2") in detail
    assert detail.endswith("still serving late-payment v1")
    assert served_version(client, tokens["admin"]) == "1"  # kept, with the reason noted
    late = client.get("/readyz").json()["detail"]["late_model"]
    assert late.startswith("late-payment v1 (reload failed at ")
    assert late.endswith(f": {REFUSED.format(version='2')})")
    monkeypatch.undo()  # the families still make the old name: scoring needs both to agree
    scored = client.post("/v1/invoices/score", json=score_body(store), headers=viewer)
    assert (scored.status_code, scored.json()["model"]["version"]) == (200, "1")
