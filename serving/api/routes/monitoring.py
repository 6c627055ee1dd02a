"""Monitoring of the late-payment champion: drift, matured performance and alerts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from serving.api.deps import ContextDep, StateDep
from serving.api.monitoring_schemas import MonitoringOut
from serving.api.schemas import Day
from serving.api.security import AUTH_RESPONSES, require_role
from serving.services.monitoring import kept_monitoring

router = APIRouter(
    prefix="/v1",
    tags=["ops"],
    dependencies=[require_role("viewer")],
    responses=AUTH_RESPONSES,
)


@router.get(
    "/monitoring",
    summary="Drift, matured performance and alerts",
    description="Is the late-payment champion still right? PSI of the score and of each "
    "feature between its training window (the year before its training cut-off) and the "
    "invoices issued in the last 30 and 90 days before `as_of`, the share of those from "
    "clients it never saw; AUC, Brier and calibration of the scores the service gave "
    "(the score log) whose invoices have paid or fallen due, by month and by version, "
    "their P10–P90 coverage and cash error; and the alerts of the `ENCOURS_MONITOR_*` "
    "thresholds. Kept for the day while the same ledger snapshot and champion are served; "
    "sets the `encours_monitoring` gauges of /metrics. The same as `encours monitor "
    "--json`. Role: viewer.",
    responses={503: {"description": "no late-payment model is registered yet"}},
)
def monitoring(
    ctx: ContextDep,
    state: StateDep,
    as_of: Annotated[Day | None, Query(description="the monitoring date (default today)")] = None,
) -> MonitoringOut:
    """Drift, matured performance and alerts at ``as_of``."""
    state.score_log.flush()  # the scores given until now count
    made = kept_monitoring(ctx, state.engine, as_of)
    state.metrics.show_monitoring(made.gauges(), made.feature_psi)
    return MonitoringOut.model_validate(made.as_json())
