"""The FastAPI app, built by a factory: nothing is loaded at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from encours.settings import Settings
from ledger.storage import make_engine, migrate
from serving.api.problems import add_problem_handlers
from serving.api.routes import health, kpis, lettrage, scores
from serving.api.state import AppState
from serving.ledger_source import LedgerSource
from serving.models import load_late_model


def build_state(settings: Settings) -> AppState:
    """Open the database and load the champion model."""
    engine = make_engine(settings.database_url)
    migrate(engine)
    late_model = load_late_model(
        settings.tracking_uri, settings.artifacts_uri, settings.late_model_name
    )
    return AppState(
        settings=settings,
        engine=engine,
        ledger=LedgerSource(engine, settings.ledger_refresh_seconds),
        late_model=late_model,
    )


def create_app(settings: Settings) -> FastAPI:
    """The encours API for ``settings``."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.encours = build_state(settings)
        try:
            yield
        finally:
            app.state.encours.engine.dispose()

    app = FastAPI(
        title="encours",
        version="0.1.0",
        summary="How and when your B2B customers will pay their invoices.",
        lifespan=lifespan,
    )
    add_problem_handlers(app)
    for module in (health, scores, kpis, lettrage):
        app.include_router(module.router)
    return app
