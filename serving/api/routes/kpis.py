"""KPIs at any date."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from ledger.kpis import compute_kpis
from serving.api.deps import SnapshotDep
from serving.api.schemas import KpisOut

router = APIRouter(prefix="/v1", tags=["kpis"])


@router.get(
    "/kpis",
    summary="KPIs at a date",
    description="Encours client and its parts, DSO (trade formula and count-back), taux de "
    "recouvrement, taux de créances douteuses, encours moyen par client and the balance âgée, "
    "from what the ledger knew at the end of `as_of`.",
)
def kpis(
    snapshot: SnapshotDep,
    as_of: Annotated[
        dt.date | None, Query(description="date of the figures, YYYY-MM-DD; default today")
    ] = None,
    currency: Annotated[
        str, Query(pattern="^[A-Z]{3}$", description="currency of the figures")
    ] = "EUR",
) -> KpisOut:
    """The KPIs of one currency at ``as_of``."""
    figures = compute_kpis(snapshot.ledger, as_of or dt.date.today(), currency=currency)[0]
    return KpisOut.model_validate(figures.as_json())
