"""The forecast and models pages in Chromium against the real server (``encours serve``)
on a store trained by ``train_models`` (fixtures: tests/serving/browser.py and
tests/serving/trained_store.py): each loads cleanly, shows the API's figure, draws its
charts or pictures, and leaves a screenshot in ``build/screenshots/``.
"""

from __future__ import annotations

import httpx
import pytest

from config.language import Words
from tests.serving.browser import Site, Watched, shot, sign_in
from tests.serving.conftest import Store, auth
from training.models import LATE_MODEL

pytestmark = pytest.mark.slow
FR = Words("fr")


@pytest.fixture(scope="module")
def store(trained_store: Store) -> Store:
    """The trained store, so that ``served_site`` serves a payment-time champion."""
    return trained_store


def test_the_forecast_in_a_browser_matches_the_api(
    browser_page: Watched, served_site: Site
) -> None:
    page = browser_page.page
    sign_in(browser_page, served_site, "viewer", f"/ui/forecast?as_of={served_site.day}")
    api = httpx.get(
        f"{served_site.base}/v1/forecast",
        params={"as_of": served_site.day},
        headers=auth(served_site.keys["viewer"]),
    ).json()
    expected = FR.money(api["periods"][0]["expected"])
    assert page.locator("#first-expected").inner_text() == f"{expected} EUR"
    page.locator("#cash-in-chart .main-svg").first.wait_for()
    page.locator("#backtest-chart .main-svg").first.wait_for()
    browser_page.clean()
    shot(browser_page, "forecast")

    page.get_by_label("Périodes").select_option("day")
    page.get_by_label("Horizon (semaines)").fill("2")
    page.get_by_role("button", name="Afficher").last.click()
    page.wait_for_load_state("networkidle")
    assert "granularity=day" in page.url and f"as_of={served_site.day}" in page.url
    page.get_by_text("Toutes les périodes").click()
    assert page.locator("tr.period").count() == 14
    page.locator("#cash-in-chart .main-svg").first.wait_for()
    browser_page.clean()
    shot(browser_page, "forecast-daily")


def test_the_models_in_a_browser_match_the_api(browser_page: Watched, served_site: Site) -> None:
    page = browser_page.page
    sign_in(browser_page, served_site, "viewer", "/ui/models")
    served = httpx.get(
        f"{served_site.base}/v1/models", headers=auth(served_site.keys["viewer"])
    ).json()["models"]
    late = next(m for m in served if m["name"] == LATE_MODEL)
    board = page.locator(f"#model-{LATE_MODEL}")
    assert board.locator(".served").get_attribute("data-version") == late["version"]
    pictures = board.locator(".plots img")
    assert pictures.count() == 2  # the champion's calibration and ROC; the challenger has none
    for k in range(pictures.count()):
        pictures.nth(k).scroll_into_view_if_needed()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=pictures.nth(k).element_handle()
        )
    browser_page.clean()
    page.evaluate("window.scrollTo(0, 0)")
    shot(browser_page, "models")
    board.get_by_text("Qui a promu quoi, et quand").click()
    board.locator("details.history").scroll_into_view_if_needed()
    shot(browser_page, "models-history")
