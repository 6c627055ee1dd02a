"""The balance âgée and KPI pages in a real browser (fixtures: tests/serving/browser.py):
they load cleanly, draw their charts, ask no other host, and show the API's figures."""

from __future__ import annotations

import httpx
import pytest

from config.language import Words
from tests.serving.browser import Site, Watched, shot, sign_in
from tests.serving.conftest import auth

pytestmark = pytest.mark.slow
FR = Words("fr")


def api(site: Site, path: str, **params: str) -> dict:
    answer = httpx.get(
        f"{site.base}{path}", params=params, headers=auth(site.keys["viewer"]), timeout=60
    )
    answer.raise_for_status()
    result: dict = answer.json()
    return result


def test_the_aged_balance_in_a_browser_matches_the_api_and_opens_a_client(
    browser_page: Watched, served_site: Site
) -> None:
    page = browser_page.page
    sign_in(browser_page, served_site, "viewer", f"/ui/aged-balance?as_of={served_site.day}")
    assert page.url.endswith(f"/ui/aged-balance?as_of={served_site.day}")
    expected = api(served_site, "/v1/aged-balance", as_of=served_site.day, currency="EUR")
    over_90 = page.locator('dd[data-key="over_90"]').inner_text()
    assert over_90 == FR.money(expected["balances"][0]["over_90"])
    page.locator("#aged-trend .main-svg").first.wait_for()  # plotly drew the chart
    assert page.locator("#aged-trend .trace.bars").count() == 6
    shot(browser_page, "aged-balance")
    page.get_by_role("link", name="> 90 jours").click()  # the most overdue clients first
    page.wait_for_load_state("networkidle")
    assert "sort=over_90" in page.url
    first = page.locator("table.aged tbody tr").first
    first.locator("details.invoices summary").click()
    invoices = first.locator("table.invoices tbody tr")
    invoices.first.wait_for()
    assert invoices.count() >= 1
    page.evaluate("document.getElementById('by-client').scrollIntoView()")
    shot(browser_page, "aged-balance-client")
    page.set_viewport_size({"width": 820, "height": 1180})  # a tablet, upright
    page.goto(page.url.split("#")[0])
    page.locator("#aged-trend .main-svg").first.wait_for()
    shot(browser_page, "aged-balance-tablet")
    browser_page.clean()


def test_the_kpis_in_a_browser_match_the_api(browser_page: Watched, served_site: Site) -> None:
    page = browser_page.page
    sign_in(browser_page, served_site, "viewer", f"/ui/?as_of={served_site.day}")
    assert page.url.endswith(f"/ui/kpis?as_of={served_site.day}")  # a viewer lands here
    expected = api(served_site, "/v1/kpis", as_of=served_site.day)
    encours = page.locator('dd[data-key="encours"]').inner_text()
    assert encours == f"{FR.money(expected['encours'])} EUR"
    for chart in ("#kpis-amounts", "#kpis-days"):
        page.locator(f"{chart} .main-svg").first.wait_for()
    shot(browser_page, "kpis")
    page.get_by_role("link", name="EN", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", level=1).inner_text() == "KPIs"
    page.evaluate("document.querySelector('table.trend').scrollIntoView()")
    shot(browser_page, "kpis-en-trend")
    browser_page.clean()
