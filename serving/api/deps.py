"""Shared dependencies of the routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from serving.api.state import AppState
from serving.ledger_source import Snapshot
from serving.services import Context

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


async def get_context(
    state: Annotated[AppState, Depends(get_state)],
    snapshot: Annotated[Snapshot, Depends(get_snapshot)],
) -> Context:
    """What the service layer reads: the current snapshot and the champions served now
    (read once: a reload meanwhile does not change a request's set)."""
    return Context(snapshot, state.models, state.settings, state.score_log)


def require_batch(size: int, limit: int, what: str = "invoices") -> None:
    """413 when a request carries more than ``limit`` items (``Settings.max_batch``)."""
    if size > limit:
        raise HTTPException(
            413, f"too many {what} in one request: {size:,}; send at most {limit:,} per request"
        )


StateDep = Annotated[AppState, Depends(get_state)]
SnapshotDep = Annotated[Snapshot, Depends(get_snapshot)]
ContextDep = Annotated[Context, Depends(get_context)]
