"""The balance âgée and KPI pages, in process: their figures are the API's, the clients
are paged, a client's invoices come on demand, and bad input gets an HTML page.

The browser tests are in tests/serving/test_pages_ledger_browser.py.
"""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from config.french import FRENCH
from config.language import Words
from encours.settings import Settings
from serving.pages import aged_balance, kpis
from tests.serving.conftest import auth
from tests.serving.test_pages import client_of, day, signed_in, site

__all__ = ["day", "site"]  # the fixtures, shared with tests/serving/test_pages.py
FR = Words("fr")
Site = tuple[Settings, dict[str, str]]


def figure(page: str, key: str) -> str:
    """The text of the figure ``data-key=key`` of a page."""
    found = re.search(rf'<dd data-key="{key}">([^<]*)</dd>', page)
    assert found is not None, key
    return html.unescape(found.group(1)).strip()


def cells(row: str) -> list[str]:
    """The texts of a table row's cells."""
    return [html.unescape(c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]


def money(text: str) -> float:
    """A French amount (``1 234,56``) as a number; ``—`` (none) as 0."""
    if text == "—":
        return 0.0
    return float(re.sub(r"[\s\u202f\u00a0]", "", text).replace(",", "."))


def test_the_aged_balance_page_shows_the_apis_totals_and_its_clients_add_up(
    site: Site, day: str
) -> None:
    settings, keys = site
    with client_of(settings) as client:
        api = client.get(f"/v1/aged-balance?as_of={day}&currency=EUR", headers=auth(keys["viewer"]))
        expected = api.json()["balances"][0]
        signed_in(client, keys["viewer"])
        page = client.get(f"/ui/aged-balance?as_of={day}")
        assert page.status_code == 200
        for key in ("not_due", "d1_30", "d31_60", "d61_90", "over_90", "non_affecte", "total"):
            assert figure(page.text, key) == FR.money(expected[key]), key
        rows = re.findall(r'<tr data-client="[^"]+">(.*?)</tr>', page.text, re.S)
        assert len(rows) > 5
        totals = [money(cells(r)[7]) for r in rows]
        assert totals == sorted(totals, reverse=True)  # the largest first
        assert sum(totals) == pytest.approx(expected["total"], abs=0.01)
        assert "Balance âgée" in page.text and "plotly.min.js" in page.text


def test_the_clients_are_paged_and_sorted_by_over_90(
    site: Site, day: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, keys = site
    monkeypatch.setattr(aged_balance, "PAGE_ROWS", 7)
    with client_of(settings) as client:
        signed_in(client, keys["viewer"])
        first = client.get(f"/ui/aged-balance?as_of={day}&sort=over_90")
        ids = re.findall(r'<tr data-client="([^"]+)">', first.text)
        pages = int(re.search(r"Page 1 sur (\d+)", first.text).group(1))  # type: ignore[union-attr]
        assert len(ids) == 7 and pages > 1
        last = client.get(f"/ui/aged-balance?as_of={day}&sort=over_90&page={pages}")
        more = re.findall(r'<tr data-client="([^"]+)">', last.text)
        assert 1 <= len(more) <= 7 and not set(more) & set(ids)
        over_90 = [
            money(cells(r)[5])
            for r in re.findall(r'<tr data-client="[^"]+">(.*?)</tr>', first.text, re.S)
        ]
        assert over_90 == sorted(over_90, reverse=True) and over_90[0] > 0


def test_a_clients_invoices_add_up_to_its_row(site: Site, day: str) -> None:
    settings, keys = site
    with client_of(settings) as client:
        signed_in(client, keys["viewer"])
        page = client.get(f"/ui/aged-balance?as_of={day}")
        row = re.search(r'<tr data-client="([^"]+)">(.*?)</tr>', page.text, re.S)
        assert row is not None
        client_id, total = row.group(1), money(cells(row.group(2))[7])
        link = f"/ui/aged-balance/clients/{client_id}?as_of={day}&currency=EUR"
        part = client.get(f"{link}&part=rows")
        assert part.status_code == 200 and "<html" not in part.text
        amounts = [
            money(cells(r)[3].removesuffix("EUR"))
            for r in re.findall(r'<tr data-invoice="[^"]+">(.*?)</tr>', part.text, re.S)
        ]
        assert sum(a for a in amounts if a > 0) == pytest.approx(total, abs=0.01)
        whole = client.get(link)
        assert whole.status_code == 200 and "<html" in whole.text
        assert "Retour à la balance âgée" in whole.text


def test_the_kpis_page_shows_the_apis_figures_and_their_trend(site: Site, day: str) -> None:
    settings, keys = site
    with client_of(settings) as client:
        signed_in(client, keys["viewer"])
        assert client.get(f"/ui/?as_of={day}").headers["location"] == f"/ui/kpis?as_of={day}"
        page = client.get(f"/ui/kpis?as_of={day}")
        assert page.status_code == 200
        api = client.get(f"/v1/kpis?as_of={day}", headers=auth(keys["viewer"])).json()
        assert figure(page.text, "encours") == f"{FR.money(api['encours'])} EUR"
        assert figure(page.text, "dso") == f"{FR.number(api['dso'], 1)} jours"
        assert figure(page.text, "dso_countback") == f"{FR.number(api['dso_countback'], 1)} jours"
        rate = FR.percent(api["taux_recouvrement"] / 100, 2)
        assert figure(page.text, "taux_recouvrement") == rate
        assert figure(page.text, "avances") == f"− {FR.money(api['avances'])}"
        trend = re.findall(r'<tr data-day="([^"]+)">(.*?)</tr>', page.text, re.S)
        assert len(trend) in (12, 13) and trend[0][0] == day  # the newest first
        month_end, row = trend[1]
        assert (dt.date.fromisoformat(month_end) + dt.timedelta(days=1)).day == 1
        then = client.get(f"/v1/kpis?as_of={month_end}", headers=auth(keys["viewer"])).json()
        assert cells(row)[1] == FR.money(then["encours"])


@pytest.mark.parametrize(
    "path",
    [
        "/ui/aged-balance?currency=eur",
        "/ui/aged-balance?sort=name",
        "/ui/aged-balance?page=0",
        "/ui/kpis?as_of=31/12/2024",
        "/ui/kpis?currency=EURO",
        "/ui/aged-balance/clients/NOBODY",
    ],
)
def test_bad_input_gets_an_html_page_and_a_4xx(site: Site, path: str) -> None:
    settings, keys = site
    with client_of(settings) as client:
        signed_in(client, keys["viewer"])
        answer = client.get(path)
        assert 400 <= answer.status_code < 500 and "text/html" in answer.headers["content-type"]
        assert 'role="alert"' in answer.text


def test_the_pages_need_a_session(site: Site) -> None:
    settings, _ = site
    with client_of(settings) as client:
        for path in ("/ui/kpis", "/ui/aged-balance", "/ui/aged-balance/clients/C00001"):
            answer = client.get(path)
            assert answer.status_code == 303 and answer.headers["location"].startswith("/ui/login")


def test_the_words_of_the_columns_and_lines_have_their_french() -> None:
    names = [*aged_balance.BUCKET_NAMES.values(), *(n for _, n, _ in kpis.PARTS)]
    names += [n for _, n, _ in kpis.DSO_LINES]
    assert [n for n in names if n not in FRENCH] == []
