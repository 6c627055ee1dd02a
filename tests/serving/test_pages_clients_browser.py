"""The client's sheet and the prospect in a real browser: Debian's Chromium, headless, driven
by Playwright against ``encours serve`` (fixtures: tests/serving/browser.py).

Each page loads with no console error, no failed request and no other host asked, shows a
figure equal to the API's, and leaves its screenshot in ``build/screenshots/``.
"""

from __future__ import annotations

import shutil
from decimal import Decimal

import httpx
import pytest

from config.language import Words
from tests.serving.browser import SHOTS, Site, Watched, shot, sign_in
from tests.serving.conftest import Store, auth
from tests.serving.test_pages_clients import (
    PROSPECT,
    a_client_with_open_invoices,
    onboarding_champion,
)
from training.models import ONBOARDING_MODEL

pytestmark = pytest.mark.slow
FR = Words("fr")


@pytest.fixture(scope="module")
def store(store: Store, tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The session's store with an onboarding champion registered too, in a copy of its
    registry: the other modules keep the store as they expect it (late-payment only)."""
    import mlflow

    from training.registry import log_model, promote
    from training.tracking import quiet_mlflow, use_store

    models = tmp_path_factory.mktemp("onboarding") / "models"
    shutil.copytree(store.settings.models_dir, models)
    settings = store.settings.model_copy(update={"models_dir": models})
    fitted = onboarding_champion(store).model
    use_store(settings.tracking_uri, settings.artifacts_uri)
    try:
        with quiet_mlflow(), mlflow.start_run():
            info = log_model(ONBOARDING_MODEL, fitted)
        promote(ONBOARDING_MODEL, str(info.registered_model_version))
    finally:
        use_store(store.settings.tracking_uri, store.settings.artifacts_uri)
    return Store(settings, store.ledger)


def whole_page(watched: Watched, name: str) -> None:
    """A screenshot of the whole page, below the fold too (to look at, beside :func:`shot`)."""
    watched.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_the_clients_sheet_in_a_browser_shows_the_apis_score(
    browser_page: Watched, served_site: Site, store: Store
) -> None:
    page = browser_page.page
    client_id = a_client_with_open_invoices(store, served_site.day)
    target = f"/ui/clients/{client_id}?as_of={served_site.day}"
    sign_in(browser_page, served_site, "viewer", target)
    assert page.url.endswith(target)
    api = httpx.get(
        f"{served_site.base}/v1/clients/{client_id}/risk",
        params={"as_of": served_site.day},
        headers=auth(served_site.keys["viewer"]),
    ).json()
    assert page.locator("#risk-score").inner_text() == FR.number(api["score"], 1)
    assert page.locator("#risk-grade").inner_text() == api["grade"]
    for chart in ("trend-chart", "reasons-chart", "history-chart"):
        page.locator(f"#{chart} .main-svg").first.wait_for()  # drawn by plotly.js
    shot(browser_page, "client-sheet")
    whole_page(browser_page, "client-sheet-full")
    page.set_viewport_size({"width": 820, "height": 1180})  # a tablet, upright
    page.reload()
    page.locator("#trend-chart .main-svg").first.wait_for()
    shot(browser_page, "client-sheet-tablet")
    browser_page.clean()


def test_the_prospect_in_a_browser_answers_the_apis_score(
    browser_page: Watched, served_site: Site
) -> None:
    page = browser_page.page
    sign_in(browser_page, served_site, "viewer", "/ui/prospect")
    page.get_by_label("Pays (code ISO)").fill("FR")
    page.get_by_label("Secteur", exact=True).fill("retail")
    page.get_by_label("Délai de paiement demandé (jours)").fill("30")
    page.get_by_label("Montant TTC").fill("8 400,00")
    page.get_by_label("Date d'émission").fill("2025-07-01")
    page.get_by_label("Date d'échéance").fill("2025-07-31")
    page.get_by_role("button", name="Noter ce client").click()
    page.wait_for_load_state("networkidle")
    body = {**PROSPECT, "client": {**PROSPECT["client"], "payment_terms_days": 30}}
    api = httpx.post(
        f"{served_site.base}/v1/clients/score",
        json=body,
        headers=auth(served_site.keys["viewer"]),
    ).json()
    assert page.locator("#prospect-score").inner_text() == FR.number(api["score"], 1)
    limit = Decimal(str(api["suggested"]["credit_limit"]))
    assert page.locator("#prospect-limit").inner_text() == f"{FR.money(limit)} EUR"
    page.locator("#prospect-chart .main-svg").first.wait_for()
    shot(browser_page, "prospect")
    browser_page.clean()

    page.get_by_label("Montant TTC").fill("beaucoup")
    page.get_by_role("button", name="Noter ce client").click()
    page.wait_for_load_state("networkidle")
    amount = page.get_by_label("Montant TTC")
    assert amount.get_attribute("aria-invalid") == "true"
    assert page.locator("#e-amount").inner_text().startswith("Le montant est un nombre")
    shot(browser_page, "prospect-error")
    # The 422 of the form shown again is the one failed request of this page, by design.
    assert [f for f in browser_page.failed if not f.startswith("422 ")] == []
