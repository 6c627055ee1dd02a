"""What the browser tests share: the real server (``encours serve``) on a copy of the
serving store, and Debian's Chromium, headless, driven by Playwright.

A :class:`Watched` page records console errors, failed or refused requests and the hosts
asked, so that a test can check a page loaded cleanly and asked no other host; :func:`shot`
writes a screenshot to ``build/screenshots/`` (CI keeps them as artefacts). The fixtures are
made available to every serving test module by ``tests/serving/conftest.py``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.serving.conftest import Store, keys_for
from tests.serving.test_end_to_end import encours_serve

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).parents[2] / "build" / "screenshots"


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    """Playwright, once Chromium is known to be there (else the tests are skipped)."""
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: .ci/run installs Debian's chromium package")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as driver:
        yield driver


@dataclass
class Site:
    """The real server on a copy of the store, and a key per role."""

    base: str
    keys: dict[str, str]
    database_url: str
    day: str


@pytest.fixture(scope="module")
def served_site(store: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("browser")
    shutil.copy(store.settings.database_url.removeprefix("sqlite:///"), root / "ledger.db")
    url = f"sqlite:///{root}/ledger.db"
    settings = store.settings.model_copy(update={"database_url": url})
    keys = keys_for(settings)
    env = {
        "ENCOURS_DATABASE_URL": url,
        "ENCOURS_MODELS_DIR": str(settings.models_dir),
        "ENCOURS_LEDGER_REFRESH_SECONDS": "3600",
    }
    with encours_serve(env, root) as base:
        yield Site(base, keys, url, str(store.ledger.invoices["issue_date"].max().date()))


@dataclass
class Watched:
    """A browser page and what it did: console errors, failed requests, hosts asked."""

    page: Any
    errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    hosts: set[str] = field(default_factory=set)

    def clean(self) -> None:
        assert self.errors == [], self.errors
        assert self.failed == [], self.failed
        assert self.hosts == {"127.0.0.1"}, self.hosts


@pytest.fixture
def browser_page(playwright: Any) -> Iterator[Watched]:
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu", "--lang=fr-FR"]
    )
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="fr-FR")
    page = context.new_page()
    watched = Watched(page)
    page.on("console", lambda m: watched.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: watched.errors.append(str(e)))
    page.on("requestfailed", lambda r: watched.failed.append(r.url))
    page.on(
        "response",
        lambda r: watched.failed.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    page.on("request", lambda r: watched.hosts.add(urlsplit(r.url).hostname or ""))
    try:
        yield watched
    finally:
        context.close()
        browser.close()


def sign_in(watched: Watched, site: Site, role: str, target: str) -> None:
    page = watched.page
    page.goto(f"{site.base}{target}")
    assert "/ui/login" in page.url
    page.get_by_label("Clé d'API").fill(site.keys[role])
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state("networkidle")


def shot(watched: Watched, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    watched.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)
