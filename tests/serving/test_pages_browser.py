"""The pages in a real browser: Debian's Chromium, headless, driven by Playwright, against
the real server (``encours serve``) on a free port (fixtures: tests/serving/browser.py).

Every page loads with no console error, no failed request and no request to another host;
its screenshot is written to ``build/screenshots/`` (CI keeps them as artefacts).
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text

from ledger.storage import make_engine
from tests.serving.browser import Site, Watched, shot, sign_in
from tests.serving.conftest import auth

pytestmark = pytest.mark.slow


def test_the_worklist_in_a_browser_matches_the_api_and_logs_an_action(
    browser_page: Watched, served_site: Site
) -> None:
    page = browser_page.page
    sign_in(browser_page, served_site, "collector", f"/ui/worklist?as_of={served_site.day}")
    assert page.url.endswith(f"/ui/worklist?as_of={served_site.day}")
    api = httpx.get(
        f"{served_site.base}/v1/worklist",
        params={"as_of": served_site.day, "limit": 1},
        headers=auth(served_site.keys["collector"]),
    ).json()
    first = page.locator("tbody tr").first
    assert first.get_attribute("data-invoice") == api["rows"][0]["invoice_id"]
    first.get_by_text("Pourquoi ?").click()
    first.locator("ol.reasons li").first.wait_for()
    shot(browser_page, "worklist")
    first.get_by_text("Pourquoi ?").click()  # closed again: it lies over the row's other links

    invoice = api["rows"][0]["invoice_id"]
    first.get_by_text("Noter une action").click()
    first.get_by_label("Action menée").select_option("call")
    first.get_by_label("Résultat").select_option("promise_to_pay")
    first.get_by_label("Promis pour le").fill(served_site.day)
    first.get_by_role("button", name="Enregistrer").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("status").inner_text().startswith("Action enregistrée")
    browser_page.clean()

    engine = make_engine(served_site.database_url)
    with engine.connect() as connection:
        stored = connection.execute(
            text("select outcome from actions where invoice_id = :i"), {"i": invoice}
        ).scalars()
        assert "promise_to_pay" in list(stored)
    engine.dispose()
    rows = httpx.get(
        f"{served_site.base}/v1/worklist",
        params={"as_of": served_site.day, "limit": 10000},
        headers=auth(served_site.keys["collector"]),
    ).json()["rows"]
    assert next(r for r in rows if r["invoice_id"] == invoice)["promised_date"] == served_site.day


def test_a_viewer_cannot_reach_the_worklist_nor_forge_a_form(
    browser_page: Watched, served_site: Site
) -> None:
    page = browser_page.page
    sign_in(browser_page, served_site, "viewer", f"/ui/worklist?as_of={served_site.day}")
    assert page.get_by_role("alert").is_visible()
    assert page.locator("table.worklist").count() == 0
    forged = page.request.post(
        f"{served_site.base}/ui/worklist/actions",
        form={"invoice_id": "X", "channel": "call"},
    )
    assert forged.status == 403
    shot(browser_page, "viewer-refused")
