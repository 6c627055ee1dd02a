"""The interactive docs load nothing from outside: every script and style is served here."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from encours.settings import Settings
from serving.api.app import create_app


@pytest.mark.parametrize(("page", "script"), [("/docs", "SwaggerUIBundle"), ("/redoc", "Redoc")])
def test_docs_pages_use_only_assets_served_here(page: str, script: str) -> None:
    client = TestClient(create_app(Settings(database_url="sqlite://")))
    response = client.get(page)
    assert response.status_code == 200
    urls = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    assert urls, "the page loads no asset"
    assert not [u for u in urls if "//" in u], "an asset comes from another host"
    bundles = [client.get(url) for url in urls]
    assert all(b.status_code == 200 and b.content for b in bundles)
    assert any(script in b.text for b in bundles if url_is_js(b.url.path))
    assert "/openapi.json" in response.text


def url_is_js(path: str) -> bool:
    """Whether ``path`` names a script."""
    return path.endswith(".js")
