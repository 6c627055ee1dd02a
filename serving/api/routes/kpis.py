"""KPIs at any date."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from serving import services
from serving.api.deps import SnapshotDep
from serving.api.schemas import AgedBalancesOut, Day, KpisOut
from serving.api.security import AUTH_RESPONSES, require_role

router = APIRouter(
    prefix="/v1", tags=["kpis"], dependencies=[require_role("viewer")], responses=AUTH_RESPONSES
)
AsOf = Annotated[Day | None, Query(description="date of the figures, YYYY-MM-DD; default today")]


@router.get(
    "/kpis",
    summary="KPIs at a date",
    description="Encours client and its parts, DSO (trade formula and count-back), taux de "
    "recouvrement, taux de créances douteuses, encours moyen par client and the balance âgée, "
    "from what the ledger knew at the end of `as_of`.",
)
def kpis(
    snapshot: SnapshotDep,
    as_of: AsOf = None,
    currency: Annotated[
        str, Query(pattern="^[A-Z]{3}$", description="currency of the figures")
    ] = "EUR",
) -> KpisOut:
    """The KPIs of one currency at ``as_of``."""
    return KpisOut.model_validate(services.kpis(snapshot, as_of, currency).as_json())


@router.get(
    "/aged-balance",
    summary="Balance âgée at a date",
    description="Open amounts by days past due (not due, 1–30, 31–60, 61–90, over 90), one "
    "line per currency, from what the ledger knew at the end of `as_of`: the same figures "
    "as the `aged_balance` of /v1/kpis, for every currency at once.",
)
def aged_balance_route(
    snapshot: SnapshotDep,
    as_of: AsOf = None,
    currency: Annotated[
        str | None,
        Query(pattern="^[A-Z]{3}$", description="only this currency; default every currency"),
    ] = None,
) -> AgedBalancesOut:
    """The balance âgée of each currency at ``as_of``."""
    day = as_of or dt.date.today()
    balances = services.aged_balances(snapshot, day, currency)
    return AgedBalancesOut.model_validate({"as_of": day, "balances": balances})
