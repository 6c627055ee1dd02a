"""Bodies of ``GET /v1/monitoring``: drift, matured performance and alerts."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class AlertOut(BaseModel):
    """A monitored figure past its threshold (``ENCOURS_MONITOR_*``)."""

    kind: str = Field(
        description="psi (of the score or a feature), unseen_clients, calibration or auc",
        examples=["psi"],
    )
    subject: str = Field(
        description="what moved: score, a feature's name, clients, all or a client sector",
        examples=["inv_terms_days"],
    )
    window: str = Field(description="the window measured, in days: 30d or 90d", examples=["30d"])
    value: float = Field(description="the figure measured", examples=[0.41])
    threshold: float = Field(description="the threshold it crossed", examples=[0.25])
    message: str = Field(description="the alert in one English sentence")


class MonitoringOut(BaseModel):
    """The late-payment champion's monitoring at a date."""

    psi: dict[str, Any] = Field(
        description="drift against the champion's training window (`reference`: from, to, "
        "n invoices) for each window of `windows` (`30d`, `90d`): `n` invoices issued in it, "
        "`score` (PSI of the late probability), `unseen_clients` (share of its invoices from "
        "clients with no invoice before the training cut-off), `features` (PSI of each "
        "feature, all seen at the invoice's issue date); `model_version`"
    )
    matured: dict[str, Any] = Field(
        description="the score log's scores whose invoices have paid or fallen due: `n`, "
        "`late_rate`, `mean_p_late`, `calibration_gap` (late share minus mean probability), "
        "`brier`, `auc`, `calibration_error`; `by_month` (month scored) and "
        "`by_model_version`; `recent` (outcomes of the last 30 days) and "
        "`recent_by_sector`; `coverage` (share of payments inside P10–P90); "
        "`cash_forecast` (WAPE of the cash expected within 30 days of each scoring day)"
    )
    alerts: list[AlertOut] = Field(
        description="each figure past its threshold; empty when none crossed one"
    )
