"""The pages a credit team opens every morning, served under ``/ui`` by the API's process.

Server-rendered HTML (Jinja2 templates in ``templates/``), a little plain JavaScript, and
charts drawn by plotly.js from the plotly package's own file: nothing is fetched from
another host, so the pages work on a machine with no internet. Every figure comes from the
service layer (:mod:`serving.services`), as the API's and the command line's do.

- :mod:`~serving.pages.sessions`: the session cookie and CSRF tokens;
- :mod:`~serving.pages.views`: what every page shares (session, language, date, rendering);
- :mod:`~serving.pages.auth`: ``/ui/login``, ``/ui/logout``;
- :mod:`~serving.pages.worklist`: ``/ui/`` and ``/ui/worklist``, the relances du jour;
- :mod:`~serving.pages.clients`: ``/ui/clients/{client_id}``, the client's sheet;
- :mod:`~serving.pages.prospect`: ``/ui/prospect``, a prospective client's score;
- :mod:`~serving.pages.forecast`: ``/ui/forecast``, the cash-in forecast and its backtest;
- :mod:`~serving.pages.models`: ``/ui/models``, champions, challengers and their figures;
- :mod:`~serving.pages.kpis`: ``/ui/kpis``, the encours, DSO and rates, and their trend;
- :mod:`~serving.pages.aged_balance`: ``/ui/aged-balance``, the balance âgée by client.
"""

from __future__ import annotations

from pathlib import Path

import plotly
from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from config import Settings
from serving.pages import aged_balance, auth, clients, forecast, kpis, models, prospect, worklist
from serving.pages.sessions import SessionCodec
from serving.pages.views import (
    TEMPLATES,
    PageError,
    PagesState,
    SignInNeeded,
    error_page,
    sign_in_redirect,
)

STATIC = Path(__file__).parent / "static"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
CACHE_A_DAY = {"Cache-Control": "public, max-age=86400"}


def add_pages(app: FastAPI, settings: Settings) -> None:
    """Serve the pages from ``app``: their routes, their files, their errors."""
    app.state.pages = PagesState(
        SessionCodec(settings.session_secret.get_secret_value(), settings.session_hours),
        Jinja2Templates(directory=TEMPLATES),
    )
    app.add_exception_handler(SignInNeeded, sign_in_redirect)
    app.add_exception_handler(PageError, error_page)

    @app.get("/ui/static/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        """plotly.js as the plotly package ships it."""
        return FileResponse(PLOTLY_JS, media_type="text/javascript", headers=CACHE_A_DAY)

    app.mount("/ui/static", StaticFiles(directory=STATIC), name="ui-static")
    for module in (auth, worklist, kpis, aged_balance, forecast, clients, prospect, models):
        app.include_router(module.router)
