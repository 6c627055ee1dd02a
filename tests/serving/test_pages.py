"""The pages, in process: signing in, roles, CSRF, the worklist and an action logged there.

The browser tests (tests/serving/test_pages_browser.py) check the same pages in Chromium.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import text

from config.french import FRENCH
from encours.settings import Settings
from ledger.storage import make_engine
from serving.api.app import create_app
from serving.api_keys import find_key, revoke_key
from serving.pages.views import NAV
from tests.serving.conftest import Store, auth, keys_for

PAGES = Path(__file__).parents[2] / "serving" / "pages"
AS_OF = "as_of"


@pytest.fixture(scope="module")
def site(
    store: Store, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Settings, dict[str, str]]]:
    """Settings on a copy of the store's ledger (the pages write actions) and a key per role."""
    folder = tmp_path_factory.mktemp("pages")
    source = store.settings.database_url.removeprefix("sqlite:///")
    shutil.copy(source, folder / "ledger.db")
    settings = store.settings.model_copy(
        update={"database_url": f"sqlite:///{folder}/ledger.db", "ledger_refresh_seconds": 3600}
    )
    yield settings, keys_for(settings)


@pytest.fixture(scope="module")
def day(store: Store) -> str:
    """A date with invoices to chase: the ledger's last issue date."""
    return str(store.ledger.invoices["issue_date"].max().date())


def client_of(settings: Settings) -> TestClient:
    return TestClient(create_app(settings), raise_server_exceptions=False, follow_redirects=False)


def signed_in(client: TestClient, token: str, target: str = "/ui/") -> None:
    """Sign ``client`` in with ``token`` through the login form."""
    form = client.get(f"/ui/login?next={target}")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf is not None
    answer = client.post(
        "/ui/login", data={"api_key": token, "csrf_token": csrf.group(1), "next": target}
    )
    assert answer.status_code == 303, answer.text


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def test_a_page_without_a_session_goes_to_the_login_and_comes_back(
    site: tuple[Settings, dict[str, str]], day: str
) -> None:
    settings, keys = site
    with client_of(settings) as client:
        first = client.get(f"/ui/worklist?as_of={day}")
        assert first.status_code == 303
        assert first.headers["location"] == f"/ui/login?next=%2Fui%2Fworklist%3Fas_of%3D{day}"
        form = client.get(first.headers["location"])
        assert form.status_code == 200 and 'name="api_key"' in form.text
        back = client.post(
            "/ui/login",
            data={
                "api_key": keys["collector"],
                "csrf_token": csrf_of(form.text),
                "next": f"/ui/worklist?as_of={day}",
            },
        )
        assert back.status_code == 303 and back.headers["location"] == f"/ui/worklist?as_of={day}"
        cookie = next(c for c in back.headers.get_list("set-cookie") if "encours_session=" in c)
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=36000" in cookie
        assert "Secure" not in cookie  # plain HTTP here; HTTPS sets it
        assert keys["collector"] not in cookie
        assert client.get(back.headers["location"]).status_code == 200


OPEN_PAGES = {"/ui/login", "/ui/static/plotly.min.js"}
"""The pages' routes that answer without a session: the sign-in form and a public file."""


def test_every_page_without_a_session_goes_to_the_login(
    site: tuple[Settings, dict[str, str]],
) -> None:
    settings, _ = site
    with client_of(settings) as client:
        routes = [
            (method, context.path_format)
            for context in iter_route_contexts(client.app.routes)  # type: ignore[attr-defined]
            if isinstance(context.original_route, APIRoute)
            and context.path_format.startswith("/ui")
            and context.path_format not in OPEN_PAGES
            for method in sorted(context.methods)
        ]
        assert len(routes) >= 12  # the walk finds the pages
        for method, path in routes:
            answer = client.request(method, re.sub(r"\{[^}]+\}", "C1", path))
            assert answer.status_code == 303, f"{method} {path}: {answer.status_code}"
            assert answer.headers["location"].startswith("/ui/login?next="), path
        assert client.get("/ui/static/encours.css").status_code == 200  # files need none


def test_a_wrong_key_or_a_forged_login_is_refused(site: tuple[Settings, dict[str, str]]) -> None:
    settings, keys = site
    with client_of(settings) as client:
        token = csrf_of(client.get("/ui/login").text)
        wrong = client.post("/ui/login", data={"api_key": "enc_nope", "csrf_token": token})
        assert wrong.status_code == 401 and "pas valide" in wrong.text
        token = csrf_of(wrong.text)  # each form its own token
        revoked = client.post("/ui/login", data={"api_key": keys["revoked"], "csrf_token": token})
        assert revoked.status_code == 401
    with client_of(settings) as stranger:  # no login cookie: a form posted from elsewhere
        forged = stranger.post("/ui/login", data={"api_key": keys["admin"], "csrf_token": "x"})
        assert forged.status_code == 403
        assert "encours_session" not in forged.headers.get("set-cookie", "")


def test_the_login_goes_back_to_pages_of_this_site_only(
    site: tuple[Settings, dict[str, str]],
) -> None:
    settings, keys = site
    with client_of(settings) as client:
        token = csrf_of(client.get("/ui/login").text)
        answer = client.post(
            "/ui/login",
            data={"api_key": keys["viewer"], "csrf_token": token, "next": "https://evil.example/"},
        )
        assert answer.headers["location"] == "/ui/"


def test_a_viewer_sees_no_worklist(site: tuple[Settings, dict[str, str]], day: str) -> None:
    settings, keys = site
    with client_of(settings) as client:
        signed_in(client, keys["viewer"])
        page = client.get(f"/ui/worklist?as_of={day}")
        assert page.status_code == 403 and "text/html" in page.headers["content-type"]
        assert client.get("/ui/").headers["location"] == "/ui/kpis"
        assert client.get(f"/ui/worklist/export?as_of={day}").status_code == 403


def test_the_worklist_page_shows_the_apis_rows(
    site: tuple[Settings, dict[str, str]], day: str
) -> None:
    settings, keys = site
    with client_of(settings) as client:
        api = client.get(f"/v1/worklist?as_of={day}&limit=3", headers=auth(keys["collector"]))
        first = api.json()["rows"][0]
        signed_in(client, keys["collector"])
        page = client.get(f"/ui/worklist?as_of={day}")
        assert page.status_code == 200
        assert f'id="row-{first["invoice_id"]}"' in page.text
        total = api.json()["total"]
        assert f"sur {total:,} ouvertes".replace(",", "\u202f") in page.text
        english = client.get(f"/ui/worklist?as_of={day}&lang=en")
        assert "Today&#39;s relances" in english.text and "Relances du jour" not in english.text
        assert '<html lang="en">' in client.get(f"/ui/worklist?as_of={day}").text  # kept


def test_the_worklist_page_filters_and_pages_as_the_api_does(
    site: tuple[Settings, dict[str, str]], day: str
) -> None:
    settings, keys = site
    with client_of(settings) as client:
        query = f"as_of={day}&bucket=not_due"
        api = client.get(f"/v1/worklist?{query}&limit=10000", headers=auth(keys["collector"]))
        wanted = [r["invoice_id"] for r in api.json()["rows"]]
        assert 0 < len(wanted) < api.json()["total"]
        signed_in(client, keys["collector"])
        shown: list[str] = []
        for number in range(1, 50):
            page = client.get(f"/ui/worklist?{query}&page={number}")
            assert page.status_code == 200
            shown += re.findall(r'data-invoice="([^"]+)"', page.text)
            if 'rel="next"' not in page.text:
                break
            assert "bucket=not_due" in page.text.split('rel="next"')[0].rsplit("href=", 1)[1]
        assert shown == wanted
        exported = client.get(f"/ui/worklist/export?{query}&format=csv")
        assert exported.status_code == 200
        assert exported.text.count("\n") == len(wanted) + 1  # the header, then one line each
        bad = client.get(f"/ui/worklist?as_of={day}&bucket=later")
        assert bad.status_code == 422 and "text/html" in bad.headers["content-type"]


def test_an_action_logged_in_the_page_reaches_the_database_and_the_api(
    site: tuple[Settings, dict[str, str]], day: str
) -> None:
    settings, keys = site
    with client_of(settings) as client:
        signed_in(client, keys["collector"])
        page = client.get(f"/ui/worklist?as_of={day}&lang=fr")
        invoice = re.search(r'data-invoice="([^"]+)"', page.text)
        assert invoice is not None
        form = {
            "invoice_id": invoice.group(1),
            "channel": "call",
            "outcome": "promise_to_pay",
            "promised_date": day,
        }
        forged = client.post(f"/ui/worklist/actions?as_of={day}", data=form)
        assert forged.status_code == 403
        done = client.post(
            f"/ui/worklist/actions?as_of={day}", data={**form, "csrf_token": csrf_of(page.text)}
        )
        assert done.status_code == 303 and f"done={invoice.group(1)}" in done.headers["location"]
        engine = make_engine(settings.database_url)
        with engine.connect() as connection:
            stored = connection.execute(
                text("select channel, outcome from actions where invoice_id = :i"),
                {"i": invoice.group(1)},
            ).all()
        engine.dispose()
        assert ("call", "promise_to_pay") in [tuple(r) for r in stored]
        engine = make_engine(settings.database_url)
        with engine.connect() as connection:
            audit = connection.execute(
                text("select role, method, route from audit_log order by id desc limit 1")
            ).one()
        engine.dispose()
        assert tuple(audit) == ("collector", "POST", "/ui/worklist/actions")
        api = client.get(f"/v1/worklist?as_of={day}&limit=10000", headers=auth(keys["collector"]))
        row = next(r for r in api.json()["rows"] if r["invoice_id"] == invoice.group(1))
        assert row["promised_date"] == day


def test_a_revoked_key_ends_its_sessions(site: tuple[Settings, dict[str, str]], day: str) -> None:
    settings, _ = site
    fresh = keys_for(settings)
    with client_of(settings) as client:
        signed_in(client, fresh["collector"])
        assert client.get(f"/ui/worklist?as_of={day}").status_code == 200
        engine = make_engine(settings.database_url)
        key = find_key(engine, fresh["collector"])
        assert key is not None
        revoke_key(engine, key.id)
        engine.dispose()
        client.app.state.encours.keys._by_id.clear()  # as after api_key_cache_seconds
        assert client.get(f"/ui/worklist?as_of={day}").status_code == 303


def test_every_text_the_pages_show_has_its_french() -> None:
    texts: set[str] = {label for _, label, _ in NAV}
    pattern = re.compile(r"(?<![\w.])(?:w|words|page\.words)\(\s*([\"'])((?:(?!\1).)*)\1", re.S)
    for path in PAGES.rglob("*"):
        if path.suffix in (".html", ".py"):
            texts |= {m.group(2) for m in pattern.finditer(path.read_text())}
    assert len(texts) > 30
    assert sorted(texts - set(FRENCH)) == []


def test_no_page_asks_another_host() -> None:
    for path in PAGES.rglob("*"):
        if path.suffix in (".html", ".js", ".css"):
            assert not re.search(r"(src|href)=\"(https?:)?//", path.read_text()), path
