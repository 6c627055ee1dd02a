"""The interactive docs (/docs, /redoc) served with their scripts, offline.

FastAPI's pages load Swagger UI and ReDoc from a CDN: on a network without the internet,
as credit managers' often are, they stay blank. The files come from the
``fastapi-offline`` package (Swagger UI 5, which reads OpenAPI 3.1, and ReDoc), served
under /docs/assets, as FastAPI's guide "Self-hosting JavaScript and CSS for docs" does.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import HTMLResponse

ASSETS = "/docs/assets"


def assets_dir() -> Path:
    """The folder of Swagger UI's and ReDoc's files, in the installed package."""
    return Path(str(files("fastapi_offline") / "static"))


def add_offline_docs(app: FastAPI) -> None:
    """Serve /docs and /redoc with local assets (``app`` built with both URLs off)."""
    assert app.openapi_url is not None, "the docs need the OpenAPI schema"
    schema_url = app.openapi_url
    app.mount(ASSETS, StaticFiles(directory=assets_dir()), name="docs-assets")

    async def swagger(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=root + schema_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS}/favicon.png",
        )

    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_redoc_html(
            openapi_url=root + schema_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS}/favicon.png",
            with_google_fonts=False,
        )

    # Starlette routes, as FastAPI's own docs: public, and out of the schema.
    app.add_route("/docs", swagger, include_in_schema=False)
    app.add_route("/redoc", redoc, include_in_schema=False)
