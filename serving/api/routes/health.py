"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from serving.api.deps import StateDep
from serving.api.schemas import Health

router = APIRouter(tags=["ops"])


@router.get("/healthz", summary="Liveness")
@router.head("/healthz", summary="Liveness, without a body")  # one route each: one id each
async def healthz() -> Health:  # on the event loop: it tells whether the loop answers
    """The process answers (to HEAD too, as load balancers and uptime checks send it)."""
    return Health(status="ok")


@router.get("/readyz", summary="Readiness", responses={503: {"model": Health}})
def readyz(state: StateDep) -> JSONResponse:
    """Ready when the database answers and a champion model is loaded.

    A failed reload leaves the app ready on the models it kept, and the detail says so.
    """
    detail: dict[str, str] = {}
    try:
        with state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        detail["database"] = "ok"
    except Exception as exc:  # any driver error means not ready; say which
        detail["database"] = f"unreachable: {type(exc).__name__}"
    served = state.models  # read once: a reload may swap it meanwhile
    model = served.get(state.settings.late_model_name)
    late = f"{model.name} v{model.version}" if model else "none registered"
    if served.failure:  # the models above are kept; say why newer ones are not
        late = f"{late if model else 'none loaded'} ({served.failure})"
    detail["late_model"] = late
    ready = detail["database"] == "ok" and model is not None
    body = Health(status="ok" if ready else "not_ready", detail=detail)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)
