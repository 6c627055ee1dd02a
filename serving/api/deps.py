"""Shared dependencies of the routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from serving.api.state import AppState
from serving.ledger_source import Snapshot
from serving.models import Refused
from serving.scoring import LoadedModel
from training.models import LATE_MODEL

# The dependencies are coroutines where they never block: FastAPI runs a plain function
# dependency in the thread pool, a hop that costs more than these lookups.


async def get_state(request: Request) -> AppState:
    """The running app's state."""
    state: AppState = request.app.state.encours
    return state


async def get_snapshot(state: Annotated[AppState, Depends(get_state)]) -> Snapshot:
    """The current ledger snapshot and its fitted feature builder.

    Read in the thread pool only when it must be read from the database first.
    """
    held = state.ledger.ready()
    return held if held is not None else await run_in_threadpool(state.ledger.current)


async def get_late_model(
    state: Annotated[AppState, Depends(get_state)],
) -> LoadedModel | Refused | None:
    """The champion late-payment model, its refusal, or None while none is registered."""
    return state.models.champion(LATE_MODEL)


def require_model(champion: LoadedModel | Refused | None, name: str = LATE_MODEL) -> LoadedModel:
    """The model, or 503 while none is served: why it was refused, or that none is
    registered.

    Called in the endpoint rather than as a dependency, so that a malformed request is
    told so (422) whatever the state of the registry.
    """
    if isinstance(champion, Refused):
        raise HTTPException(503, champion.reason)
    if champion is None:
        raise HTTPException(503, f"no {name} model is registered yet: run `encours train`")
    return champion


def require_batch(size: int, limit: int, what: str = "invoices") -> None:
    """413 when a request carries more than ``limit`` items (``Settings.max_batch``)."""
    if size > limit:
        raise HTTPException(
            413, f"too many {what} in one request: {size:,}; send at most {limit:,} per request"
        )


StateDep = Annotated[AppState, Depends(get_state)]
SnapshotDep = Annotated[Snapshot, Depends(get_snapshot)]
LateModelDep = Annotated[LoadedModel | Refused | None, Depends(get_late_model)]
