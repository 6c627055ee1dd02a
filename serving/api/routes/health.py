"""Liveness and readiness."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ledger.storage import database_busy, probe
from serving.api.deps import StateDep
from serving.api.schemas import Health
from training.models import LATE_MODEL

router = APIRouter(tags=["ops"])
logger = logging.getLogger("encours.api")
READY_TIMEOUT_SECONDS = 1.0
"""Longest readiness waits on a database lock: probes give up after about a second."""


@router.get("/healthz", summary="Liveness")
@router.head("/healthz", summary="Liveness, without a body")  # one route each: one id each
async def healthz() -> Health:  # on the event loop: it tells whether the loop answers
    """The process answers (to HEAD too, as load balancers and uptime checks send it)."""
    return Health(status="ok")


@router.get("/readyz", summary="Readiness", responses={503: {"model": Health}})
def readyz(state: StateDep) -> JSONResponse:
    """Ready when the database reads a table and a champion model is loaded.

    A failed reload leaves the app ready on the models it kept, and the detail says so.
    """
    detail: dict[str, str] = {}
    try:  # a plain ``def`` route: this wait happens in the thread pool
        probe(state.engine, min(READY_TIMEOUT_SECONDS, state.settings.db_lock_timeout_seconds))
        detail["database"] = "ok"
    except Exception as exc:  # any driver error means not ready; say which, no more
        busy = database_busy(exc)
        logger.warning("readiness: database %s: %s", "busy" if busy else "unreachable", exc)
        detail["database"] = "busy" if busy else f"unreachable: {type(exc).__name__}"
    served = state.models  # read once: a reload may swap it meanwhile
    model = served.get(LATE_MODEL)
    late = f"{model.name} v{model.version}" if model else "none registered"
    if served.public_failure:  # the models above are kept; newer ones could not be read
        late = f"{late if model else 'none loaded'} ({served.public_failure})"
    detail["late_model"] = late
    ready = detail["database"] == "ok" and model is not None
    body = Health(status="ok" if ready else "not_ready", detail=detail)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)
