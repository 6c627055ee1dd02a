"""Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST

from serving.api.deps import StateDep
from serving.api.security import AUTH_RESPONSES, require_role

router = APIRouter(tags=["ops"], dependencies=[require_role("viewer")], responses=AUTH_RESPONSES)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    description="Requests answered and their latencies by route template and status "
    "(`encours_http_requests_total`, `encours_http_request_duration_seconds`), the version "
    "of each champion served (`encours_model_version`) and model reloads by outcome "
    "(`encours_model_reloads_total`). Like every route but health and readiness, it needs "
    "a key: give Prometheus a viewer key (`authorization: {credentials: ...}`).",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "text format"}},
)
def metrics(state: StateDep) -> Response:
    """The app's metrics in Prometheus text format."""
    return Response(state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
