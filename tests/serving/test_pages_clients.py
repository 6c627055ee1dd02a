"""The client's sheet (/ui/clients/{id}) and the prospect (/ui/prospect), in process: their
figures are the API's, bad input is an HTML page with a 4xx, never a 500.

The browser tests (tests/serving/test_pages_clients_browser.py) check them in Chromium.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from decimal import Decimal

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from config.language import Words
from encours.settings import Settings
from serving import services
from serving.champions import ModelSet
from serving.pages.views import Page
from serving.scoring import LoadedModel
from serving.services.client_sheet import month_ends
from tests.serving.conftest import Store, auth
from tests.serving.test_pages import client_of, csrf_of, day, signed_in, site  # noqa: F401
from training.models import ONBOARDING_MODEL, OnboardingModel, training_targets

FR = Words("fr")
PROSPECT = {
    "client": {"country": "FR", "sector": "retail", "payment_terms_days": 45},
    "first_order": {"amount": "8400.00", "issue_date": "2025-07-01", "due_date": "2025-07-31"},
}
FORM = {
    "country": "FR",
    "sector": "retail",
    "payment_terms_days": "45",
    "amount": "8 400,00",  # as a French user types it
    "currency": "EUR",
    "issue_date": "01/07/2025",
    "due_date": "2025-07-31",
}


def onboarding_champion(store: Store) -> LoadedModel:
    """An onboarding model fitted on the store's ledger (the store registers none)."""
    from training.dataset import ledger_end, out_of_time_split
    from training.train import default_cutoff

    end = ledger_end(store.ledger)
    split = out_of_time_split(store.ledger, default_cutoff(end), end)
    y, durations = training_targets(split)
    model = OnboardingModel(split.onboarding_features)
    return LoadedModel(
        ONBOARDING_MODEL, "1", model.fit(split.x_train, y, split.train["issue_date"], durations)
    )


@pytest.fixture(scope="module")
def onboarding(store: Store) -> LoadedModel:
    return onboarding_champion(store)


@pytest.fixture
def viewer(site: tuple[Settings, dict[str, str]]) -> Iterator[TestClient]:  # noqa: F811
    """A viewer signed in (the least role: both pages are the viewer's)."""
    settings, keys = site
    with client_of(settings) as client:
        signed_in(client, keys["viewer"])
        yield client


def a_client_with_open_invoices(store: Store, day: str) -> str:  # noqa: F811
    invoices = store.ledger.invoices
    when = pd.Timestamp(day)
    open_then = invoices[
        (invoices["issue_date"] <= when)
        & (invoices["paid_date"].isna() | (invoices["paid_date"] > when))
    ]
    return str(open_then["client_id"].value_counts().index[0])


def number_shown(page: str, element: str) -> str:
    found = re.search(rf'id="{element}"[^>]*>([^<]*)<', page)
    assert found is not None, element
    return html.unescape(found.group(1)).strip()


def test_the_sheet_shows_the_apis_score_grade_and_reasons(
    viewer: TestClient,
    site: tuple[Settings, dict[str, str]],  # noqa: F811
    store: Store,
    day: str,  # noqa: F811
) -> None:
    client_id = a_client_with_open_invoices(store, day)
    api = viewer.get(
        f"/v1/clients/{client_id}/risk?as_of={day}", headers=auth(site[1]["viewer"])
    ).json()
    page = viewer.get(f"/ui/clients/{client_id}?as_of={day}")
    assert page.status_code == 200, page.text
    assert number_shown(page.text, "risk-score") == FR.number(api["score"], 1)
    assert f'data-value="{api["score"]}"' in page.text
    assert number_shown(page.text, "risk-grade") == api["grade"]
    for reason in api["reasons"]:
        row = re.search(rf'data-component="{reason["component"]}">.*?</tr>', page.text, flags=re.S)
        assert row is not None and FR.number(reason["points_lost"], 1) in row.group(0)
    assert page.text.count('class="chart"') == 3 and "/ui/static/plotly.min.js" in page.text


def test_the_sheets_open_invoices_carry_the_apis_predictions(
    viewer: TestClient,
    site: tuple[Settings, dict[str, str]],  # noqa: F811
    store: Store,
    day: str,  # noqa: F811
) -> None:
    client_id = a_client_with_open_invoices(store, day)
    page = viewer.get(f"/ui/clients/{client_id}?as_of={day}").text
    rows = re.findall(r'data-invoice="([^"]+)" data-p-late="([^"]+)"', page)
    assert rows
    for invoice_id, p_late in rows[:3]:
        api = viewer.get(
            f"/v1/invoices/{invoice_id}?as_of={day}&reasons=false",
            headers=auth(site[1]["viewer"]),
        ).json()
        assert float(p_late) == pytest.approx(api["scores"][0]["p_late"], abs=1e-12)
        assert api["scores"][0]["client_id"] == client_id


def test_the_trend_ends_at_the_last_month_end_with_the_apis_score(
    viewer: TestClient,
    site: tuple[Settings, dict[str, str]],  # noqa: F811
    store: Store,
    day: str,  # noqa: F811
) -> None:
    client_id = a_client_with_open_invoices(store, day)
    last = month_ends(dt.date.fromisoformat(day))[-1]
    api = viewer.get(
        f"/v1/clients/{client_id}/risk?as_of={last}", headers=auth(site[1]["viewer"])
    ).json()
    page = viewer.get(f"/ui/clients/{client_id}?as_of={day}").text
    cells = re.findall(r"<tr><td>([^<]+)</td><td class=\"num\">([^<]+)</td><td>([A-E])</td>", page)
    assert cells[-1] == (FR.date(last), FR.number(api["score"], 1), api["grade"])
    assert len(cells) <= 12


def test_month_ends_are_the_last_twelve_on_or_before_the_date() -> None:
    ends = month_ends(dt.date(2025, 3, 15))
    assert (ends[0], ends[-1], len(ends)) == (dt.date(2024, 3, 31), dt.date(2025, 2, 28), 12)
    assert month_ends(dt.date(2025, 3, 31))[-1] == dt.date(2025, 3, 31)


def test_the_sheets_history_and_suggested_limit_are_the_ledgers(
    site: tuple[Settings, dict[str, str]],  # noqa: F811
    store: Store,
    day: str,  # noqa: F811
) -> None:
    settings, _ = site
    client_id = a_client_with_open_invoices(store, day)
    with client_of(settings) as client:
        state = client.app.state.encours
        ctx = services.Context(state.ledger.current(), state.models, settings)  # as routes
        sheet = services.client_sheet(ctx, client_id, dt.date.fromisoformat(day))
    invoices = store.ledger.invoices
    mine = invoices[(invoices["client_id"] == client_id) & (invoices["doc_type"] == "invoice")]
    paid = mine[mine["paid_date"] <= pd.Timestamp(day)]
    assert len(sheet.settled) == len(paid)
    first = sheet.settled.iloc[0]
    row = mine[mine["invoice_id"] == first["invoice_id"]].iloc[0]
    assert first["days_late"] == (row["paid_date"] - row["due_date"]).days
    # A month of invoicing: what was issued in the 12 months to the date, over 12.
    start = pd.Timestamp(day) - pd.DateOffset(months=12)
    recent = mine[(mine["issue_date"] > start) & (mine["issue_date"] <= pd.Timestamp(day))]
    monthly = (Decimal(int(recent["amount_cents"].sum())) / 100 / 12).quantize(Decimal("0.01"))
    assert sheet.suggestion.monthly_invoicing == monthly
    multiple = sheet.suggestion.terms.limit_multiple
    assert sheet.suggestion.credit_limit == (multiple * monthly).quantize(Decimal("0.01"))


def test_an_unknown_client_is_a_404_page_and_no_session_goes_to_the_login(
    viewer: TestClient,
    site: tuple[Settings, dict[str, str]],  # noqa: F811
) -> None:
    answer = viewer.get("/ui/clients/NOPE")
    assert answer.status_code == 404 and "text/html" in answer.headers["content-type"]
    assert "Aucun client NOPE" in answer.text
    slashed = viewer.get("/ui/clients/C%2F1%20%26%20%232")  # an id with / & # and spaces
    assert slashed.status_code == 404 and "Aucun client C/1 &amp; #2" in slashed.text
    with client_of(site[0]) as stranger:
        first = stranger.get("/ui/clients/NOPE")
        assert first.status_code == 303 and first.headers["location"].startswith("/ui/login")
        assert stranger.get("/ui/prospect").status_code == 303


def test_links_to_a_client_quote_its_whole_id() -> None:
    page = Page(None, None, Words("fr"), dt.date(2024, 3, 15), as_of_given=True)  # type: ignore[arg-type]
    link = page.client_link("/ui/clients/", "C/1 & #2")
    assert link == "/ui/clients/C%2F1%20%26%20%232?as_of=2024-03-15"


@pytest.fixture
def with_onboarding(viewer: TestClient, onboarding: LoadedModel) -> Iterator[TestClient]:
    """The viewer's app serving an onboarding champion too."""
    state = viewer.app.state.encours
    state.models = ModelSet.of([*state.models.models.values(), onboarding])
    yield viewer


def test_the_prospect_page_answers_the_apis_score_and_terms(
    with_onboarding: TestClient,
    site: tuple[Settings, dict[str, str]],  # noqa: F811
) -> None:
    client = with_onboarding
    api = client.post("/v1/clients/score", json=PROSPECT, headers=auth(site[1]["viewer"])).json()
    by_get = client.get("/ui/prospect", params=FORM)
    assert by_get.status_code == 200, by_get.text
    assert number_shown(by_get.text, "prospect-score") == FR.number(api["score"], 1)
    assert number_shown(by_get.text, "prospect-grade") == api["grade"]
    limit = Decimal(str(api["suggested"]["credit_limit"]))
    assert number_shown(by_get.text, "prospect-limit") == f"{FR.money(limit)} EUR"
    blank = client.get("/ui/prospect")
    forged = client.post("/ui/prospect", data=FORM)
    assert forged.status_code == 403
    posted = client.post("/ui/prospect", data={**FORM, "csrf_token": csrf_of(blank.text)})
    assert posted.status_code == 200
    assert number_shown(posted.text, "prospect-score") == FR.number(api["score"], 1)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"amount": "abc"}, "amount", "Le montant est un nombre"),
        ({"amount": "-5"}, "amount", "Le montant est un nombre"),
        ({"due_date": "2025-06-01"}, "due_date", "La date d&#39;échéance"),
        ({"issue_date": "31/02/2025"}, "issue_date", "La date d&#39;émission"),
        ({"payment_terms_days": "400"}, "payment_terms_days", "nombre entier de jours"),
        ({"currency": "euro"}, "currency", "3 lettres capitales"),
    ],
)
def test_bad_prospect_input_names_the_field_in_words(
    with_onboarding: TestClient, change: dict[str, str], field: str, words: str
) -> None:
    answer = with_onboarding.get("/ui/prospect", params={**FORM, **change})
    assert answer.status_code == 422 and "text/html" in answer.headers["content-type"]
    beside = re.search(rf'<p class="problem" id="e-{field}">([^<]+)</p>', answer.text)
    assert beside is not None and words in beside.group(1)
    assert f'id="f-{field}"' in answer.text and 'aria-invalid="true"' in answer.text
    assert 'id="prospect-score"' not in answer.text


def test_the_prospect_without_an_onboarding_model_is_a_503_page(viewer: TestClient) -> None:
    answer = viewer.get("/ui/prospect", params=FORM)
    assert answer.status_code == 503 and "text/html" in answer.headers["content-type"]
    assert viewer.get("/ui/prospect").status_code == 200  # the form itself needs no model
