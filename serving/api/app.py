"""The FastAPI app, built by a factory: nothing is loaded at import."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError

from config import Settings, get_settings
from ledger.revisions import SchemaNotCurrent, require_latest
from ledger.storage import make_engine
from serving.api.docs import add_offline_docs
from serving.api.limits import BodySizeLimit
from serving.api.problems import add_problem_handlers
from serving.api.prometheus import Metrics, MetricsMiddleware
from serving.api.request_id import RequestIdMiddleware
from serving.api.routes import (
    actions,
    affacturage,
    audit,
    clients,
    forecast,
    health,
    kpis,
    letters,
    lettrage,
    lme,
    metrics,
    models,
    monitoring,
    scores,
    worklist,
)
from serving.api.security import KeyGate, with_security
from serving.api.state import AppState
from serving.champions import ModelSet, RegistryUnavailable, load_models
from serving.ledger_source import LedgerSource
from serving.pages import add_pages
from serving.services.context import Context
from serving.services.warming import warm_results
from serving.snapshot_file import SnapshotFiles

logger = logging.getLogger("encours.api")


def build_state(settings: Settings, app_metrics: Metrics | None = None) -> AppState:
    """Open the database and load the champion models.

    A database whose schema is not the latest stops the start (one error line naming
    ``encours db upgrade``): the API never migrates, since its workers would race to.
    An unreadable registry does not stop the app: it starts without models, not ready,
    and says why on /readyz until a reload succeeds. A champion this version cannot serve
    is left out, and its refusal answers in its place.
    """
    engine = make_engine(
        settings.database_url,
        lock_timeout_seconds=settings.db_lock_timeout_seconds,
        statement_timeout_seconds=settings.db_statement_timeout_seconds,
    )
    try:
        require_latest(engine)
    except SchemaNotCurrent as exc:
        engine.dispose()
        logger.error("%s", exc)
        raise
    try:
        served = load_models(settings)
    except RegistryUnavailable as exc:
        logger.warning("no model loaded at start: %s", exc)
        served = ModelSet().failed("load", exc)
    refusal = served.refusal()
    if refusal is not None:
        logger.warning("champion refused at start: %s", refusal)
        served = served.failed("load", refusal)
    state = AppState(
        settings=settings,
        engine=engine,
        ledger=LedgerSource(
            engine,
            settings.ledger_refresh_seconds,
            files=SnapshotFiles(settings.snapshot_folder),
        ),
        models=served,
        metrics=app_metrics or Metrics(),
    )
    state.metrics.show_models(served.models.values())
    if settings.warm_pages:
        state.ledger.warm = lambda snapshot: warm_results(
            Context(snapshot, state.models, settings), engine=state.engine
        )
    return state


def warm_ledger(state: AppState) -> None:
    """Read the first ledger snapshot before the first request, so that no request waits
    for it and its one garbage-collector pass (which holds the interpreter, and with it
    every request, for a while) happens before the server answers anyone.

    A database that cannot be read now is read at the first request instead.
    """
    if state.settings.ledger_refresh_seconds <= 0:
        return
    try:
        state.ledger.current()
    except SQLAlchemyError as exc:
        logger.warning("the ledger will be read at the first request: %s", exc)


class EncoursAPI(FastAPI):
    """FastAPI whose OpenAPI schema documents the API keys each route needs."""

    def openapi(self) -> dict[str, Any]:
        """The schema, with the key schemes and each route's requirement (built once)."""
        if self.openapi_schema is None:
            self.openapi_schema = with_security(super().openapi(), self.routes)
        return self.openapi_schema


def create_app(settings: Settings, *, warm: bool = False) -> FastAPI:
    """The encours API for ``settings``; ``warm`` reads the ledger before serving (as
    ``encours serve`` does: see :func:`warm_ledger`), else at the first request that needs
    it."""
    app_metrics = Metrics.for_process()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.encours = build_state(settings, app_metrics)
        if warm:
            warm_ledger(app.state.encours)
        try:
            yield
        finally:
            app.state.encours.score_log.flush()
            app.state.encours.engine.dispose()
            app_metrics.close()

    app = EncoursAPI(
        title="encours",
        version="0.1.0",
        summary="How and when your B2B customers will pay their invoices.",
        description="Every route but /healthz and /readyz needs an API key (`encours keys "
        "create --role viewer|collector|admin`), sent as `Authorization: Bearer <key>` or "
        "`X-API-Key: <key>`. Roles are ordered: a collector may do what a viewer may, an "
        "admin what a collector may; each route's security requirement names the least "
        "role it lets in.",
        lifespan=lifespan,
        docs_url=None,  # served with local assets below
        redoc_url=None,
    )
    add_offline_docs(app)
    add_problem_handlers(app)
    # The last added is the outermost: the request id holds for all below; the metrics
    # count every answer; a stranger gets the key check's 401 before anything of the body,
    # a key holder the body cap's 413.
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(KeyGate)
    app.add_middleware(MetricsMiddleware, metrics=app_metrics)
    app.add_middleware(RequestIdMiddleware)
    routers = (health, scores, clients, kpis, forecast, lettrage, worklist, actions)
    for module in (*routers, letters, lme, affacturage, models, monitoring, audit, metrics):
        app.include_router(module.router)
    add_pages(app, settings)
    return app


def app_from_environment() -> FastAPI:
    """The app for the settings of the environment, warm: the factory a process manager
    starts (``uvicorn --factory serving.api.app:app_from_environment``), once per worker."""
    return create_app(get_settings(), warm=True)
