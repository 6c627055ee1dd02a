"""The forecast and models pages, in process: their figures are the API's and the
registry's, a viewer may open them, bad input gets an HTML page, never a 500.

The browser tests (tests/serving/test_pages_forecast_models_browser.py) open them in Chromium.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import shutil
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from config.french import FRENCH
from config.language import Words
from encours.settings import Settings
from features.pipeline import FeatureBuilder
from ledger.storage import make_engine, migrate, save_ledger
from serving import services
from serving.champions import ModelSet
from serving.ledger_source import Snapshot
from serving.pages import models as models_page
from serving.scoring import LoadedModel
from tests.ledger.factories import small_ledger
from tests.serving.conftest import Store, auth, keys_for
from tests.serving.stubs import PaidEvenly
from tests.serving.test_pages import client_of, signed_in
from training.models import LATE_MODEL, TIME_MODEL
from training.registry import list_versions

FR = Words("fr")


def _site(store: Store, folder: object) -> tuple[Settings, dict[str, str]]:
    """Settings on a copy of ``store``'s ledger, and a key per role."""
    source = store.settings.database_url.removeprefix("sqlite:///")
    shutil.copy(source, f"{folder}/ledger.db")
    settings = store.settings.model_copy(update={"database_url": f"sqlite:///{folder}/ledger.db"})
    return settings, keys_for(settings)


@pytest.fixture(scope="module")
def site(
    trained_store: Store,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Settings, dict[str, str]]:
    return _site(trained_store, tmp_path_factory.mktemp("pages-pf"))


@pytest.fixture(scope="module")
def day(trained_store: Store) -> str:
    """The ledger's last issue date: a forecast with open invoices and no stale warning."""
    return str(trained_store.ledger.invoices["issue_date"].max().date())


@pytest.fixture(scope="module")
def viewer(site: tuple[Settings, dict[str, str]]) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """A client signed in as a viewer, and the keys."""
    settings, keys = site
    with client_of(settings) as client:
        signed_in(client, keys["viewer"])
        yield client, keys


def shown(page: str, element: str) -> str:
    """The text of the element of id ``element`` in ``page``."""
    found = re.search(rf'id="{element}"[^>]*>(.*?)</', page, re.S)
    assert found is not None, element
    return html.unescape(found.group(1)).strip()


def chart_of(page: str, element: str) -> dict[str, Any]:
    """The plotly figure the chart ``element`` of ``page`` draws."""
    found = re.search(rf'id="{element}"[^>]*data-figure="([^"]*)"', page)
    assert found is not None, element
    figure: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return figure


def test_the_forecast_page_shows_the_apis_figures(
    viewer: tuple[TestClient, dict[str, str]], day: str
) -> None:
    client, keys = viewer
    page = client.get(f"/ui/forecast?as_of={day}")
    assert page.status_code == 200, page.text
    api = client.get(f"/v1/forecast?as_of={day}", headers=auth(keys["viewer"])).json()
    first, last = api["periods"][0], api["periods"][-1]
    assert first["expected"] > 0 and api["warnings"] == []
    assert shown(page.text, "first-expected") == f"{FR.money(first['expected'])} EUR"
    assert shown(page.text, "encours-now") == f"{FR.money(api['encours'])} EUR"
    assert shown(page.text, "encours-end") == f"{FR.money(last['encours'])} EUR"
    assert shown(page.text, "dso-end") == f"{FR.number(last['dso'], 1)} jours"
    assert page.text.count('<tr class="period">') == len(api["periods"]) == 13
    drawn = chart_of(page.text, "cash-in-chart")
    lines = {trace.get("name"): trace["y"] for trace in drawn["data"]}
    assert lines["encaissement attendu"] == [p["expected"] for p in api["periods"]]
    assert chart_of(page.text, "backtest-chart")["data"]


def test_the_daily_forecast_has_a_row_a_day_like_the_api(
    viewer: tuple[TestClient, dict[str, str]], day: str
) -> None:
    client, keys = viewer
    page = client.get(f"/ui/forecast?as_of={day}&granularity=day&horizon_weeks=2")
    assert page.status_code == 200
    api = client.get(
        "/v1/forecast",
        params={"as_of": day, "granularity": "day", "horizon_weeks": 2},
        headers=auth(keys["viewer"]),
    ).json()
    assert page.text.count('<tr class="period">') == len(api["periods"]) == 14
    assert shown(page.text, "first-expected") == f"{FR.money(api['periods'][0]['expected'])} EUR"
    assert '<option value="day" selected>' in page.text


def test_the_backtest_beside_it_is_the_services(
    viewer: tuple[TestClient, dict[str, str]], day: str
) -> None:
    client, _ = viewer
    page = client.get(f"/ui/forecast?as_of={day}")
    state = client.app.state.encours  # type: ignore[attr-defined]
    ctx = services.Context(state.ledger.current(), state.models, state.settings)
    tested = services.forecast_backtest(ctx)
    assert 0 < tested.wape["model"] < tested.wape["due_date"]  # better than its baseline here
    assert shown(page.text, "wape-model") == FR.percent(tested.wape["model"], 1)


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("granularity=month", 422),
        ("horizon_weeks=27", 422),
        ("horizon_weeks=0", 422),
        ("horizon_weeks=two", 422),
        ("currency=euro", 422),
        ("as_of=31/03/2025", 400),
    ],
)
def test_bad_input_is_an_html_page(
    viewer: tuple[TestClient, dict[str, str]], query: str, status: int
) -> None:
    client, _ = viewer
    page = client.get(f"/ui/forecast?{query}")
    assert page.status_code == status
    assert "text/html" in page.headers["content-type"] and 'role="alert"' in page.text


def test_without_a_payment_time_model_the_page_says_so(
    store: Store, tmp_path: object, day: str
) -> None:
    settings, keys = _site(store, tmp_path)  # the serving store: late-payment models only
    with client_of(settings) as client:
        assert client.get("/v1/forecast", headers=auth(keys["viewer"])).status_code == 503
        signed_in(client, keys["viewer"])
        page = client.get(f"/ui/forecast?as_of={day}")
        assert page.status_code == 503 and "text/html" in page.headers["content-type"]
        assert "Aucun modèle de délai de paiement" in html.unescape(page.text)
        models = client.get("/ui/models")  # the models page still opens, and says it
        assert models.status_code == 200
        time_board = models.text.split('id="model-payment-time"')[1]
        assert "Aucune version enregistrée" in html.unescape(time_board)


def test_a_viewer_sees_both_pages_in_the_menu_but_not_the_worklist(
    viewer: tuple[TestClient, dict[str, str]],
) -> None:
    client, _ = viewer
    page = client.get("/ui/models")
    assert page.status_code == 200
    assert 'href="/ui/forecast"' in page.text and 'href="/ui/models"' in page.text
    assert 'href="/ui/worklist"' not in page.text


def test_the_models_page_shows_the_registry_and_the_version_served(
    viewer: tuple[TestClient, dict[str, str]], site: tuple[Settings, dict[str, str]]
) -> None:
    client, keys = viewer
    settings, _ = site
    page = client.get("/ui/models")
    assert page.status_code == 200
    served = client.get("/v1/models", headers=auth(keys["viewer"])).json()["models"]
    board = page.text.split(f'id="model-{LATE_MODEL}"')[1].split("</section>")[0]
    late = next(m for m in served if m["name"] == LATE_MODEL)
    assert f'class="served" data-version="{late["version"]}"' in board
    registered = {v["version"]: v for v in list_versions(LATE_MODEL, settings.tracking_uri)}
    assert registered["1"]["aliases"] == ["champion"]
    assert registered["2"]["aliases"] == ["challenger"]
    roc = FR.number(registered["1"]["metrics"]["roc_auc"], 3)
    assert f'data-figure="roc_auc">{roc}</td>' in board
    assert "champion v1" in board and "challenger v2" in board
    baseline = FR.number(registered["1"]["metrics"]["logistic_regression_roc_auc"], 3)
    assert f">{baseline}</td>" in board
    assert "champion depuis le" in board and "challenger depuis le" in board
    assert f"/ui/models/plots/{LATE_MODEL}/1/calibration.png" in board
    assert f"/ui/models/plots/{LATE_MODEL}/1/roc.png" in board
    time_board = page.text.split(f'id="model-{TIME_MODEL}"')[1].split("</section>")[0]
    mae = FR.number(list_versions(TIME_MODEL, settings.tracking_uri)[0]["metrics"]["mae_days"], 1)
    assert f'data-figure="mae_days">{mae}</td>' in time_board
    english = client.get("/ui/models?lang=en")
    assert "Late payment" in english.text and "ROC AUC (higher is better)" in english.text
    client.get("/ui/models?lang=fr")  # back to French for the other tests


def test_a_runs_picture_is_served_from_the_registry(
    viewer: tuple[TestClient, dict[str, str]],
) -> None:
    client, _ = viewer
    picture = client.get(f"/ui/models/plots/{LATE_MODEL}/1/calibration.png")
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"
    assert picture.content.startswith(b"\x89PNG")
    for wrong in (
        f"/ui/models/plots/{LATE_MODEL}/1/nothing.png",
        f"/ui/models/plots/{LATE_MODEL}/9/calibration.png",
        "/ui/models/plots/other/1/calibration.png",
        f"/ui/models/plots/{LATE_MODEL}/1/MLmodel",  # in the run, not a picture
    ):
        answer = client.get(wrong)
        assert answer.status_code == 404, wrong
        assert "text/html" in answer.headers["content-type"]
    # a path out of plots/ matches no route of the pages: the app's own 404
    assert client.get(f"/ui/models/plots/{LATE_MODEL}/1/..%2Fmodel%2FMLmodel").status_code == 404


def test_the_words_of_the_models_have_their_french() -> None:
    words = (
        models_page.MODEL_WORDS,
        models_page.FIGURE_WORDS,
        models_page.BASELINE_WORDS,
        models_page.PLOT_WORDS,
        models_page.ALIAS_WORDS,
    )
    assert sorted({t for d in words for t in d.values()} - set(FRENCH)) == []


def test_the_backtest_is_kept_while_its_snapshot_and_model_are_served(
    tmp_path: object,
) -> None:
    ledger = small_ledger()
    engine = make_engine(f"sqlite:///{tmp_path}/l.db")
    migrate(engine)
    save_ledger(engine, ledger)
    engine.dispose()
    settings = Settings(database_url=f"sqlite:///{tmp_path}/l.db", models_dir=f"{tmp_path}/m")
    models = ModelSet.of([LoadedModel(TIME_MODEL, "1", PaidEvenly(28))])
    snapshot = Snapshot(ledger, FeatureBuilder().fit(ledger))
    first = services.forecast_backtest(services.Context(snapshot, models, settings))
    again = services.forecast_backtest(services.Context(snapshot, models, settings))
    assert again is first
    newer = ModelSet.of([LoadedModel(TIME_MODEL, "2", PaidEvenly(28))])
    assert services.forecast_backtest(services.Context(snapshot, newer, settings)) is not first
    fresh = Snapshot(ledger, FeatureBuilder().fit(ledger))  # the ledger reread
    redone = services.forecast_backtest(services.Context(fresh, models, settings))
    assert redone is not first
    pd.testing.assert_frame_equal(redone.weeks, first.weeks)


def test_dates_in_the_page_are_french(viewer: tuple[TestClient, dict[str, str]], day: str) -> None:
    client, _ = viewer
    page = client.get(f"/ui/forecast?as_of={day}")
    assert dt.date.fromisoformat(day).strftime("%d/%m/%Y") in page.text
