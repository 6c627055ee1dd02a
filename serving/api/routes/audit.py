"""The audit log: every write through the API, who made it and when; for admins."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ledger.audit import read_audit
from serving.api.deps import StateDep
from serving.api.security import AUTH_RESPONSES, require_role

router = APIRouter(
    prefix="/v1",
    tags=["ops"],
    dependencies=[require_role("admin")],
    responses=AUTH_RESPONSES,
)
MAX_PAGE = 1_000


class AuditEntryOut(BaseModel):
    """One write through the API."""

    id: int = Field(description="entry number, in the order written")
    at: dt.datetime = Field(description="when (UTC)")
    key_id: int | None = Field(description="API key that wrote, as `encours keys list` shows")
    role: str | None = Field(description="the key's role then", examples=["collector"])
    method: str = Field(description="HTTP method", examples=["POST"])
    route: str = Field(description="route template", examples=["/v1/actions"])
    summary: str = Field(description="what was written, in words")
    ids: list[str] = Field(
        description="ids of the rows written (invoices, payments, models), the first 100"
    )


class AuditPage(BaseModel):
    """A page of the audit log, newest first."""

    total: int = Field(description="entries matching the filters, in all pages")
    limit: int = Field(description="entries per page asked")
    offset: int = Field(description="entries skipped before this page")
    entries: list[AuditEntryOut] = Field(description="this page's entries, newest first")


@router.get(
    "/audit",
    summary="Who wrote what",
    description="Every write made through the API (relances recorded, lettrage runs, model "
    "reloads): the key and its role, the route, what was written and when, newest first. "
    "Filter by key and by time (`since` inclusive, `until` exclusive; ISO dates or times, "
    "UTC unless an offset is given); page with `limit` and `offset`. Role: admin.",
)
async def audit_log(
    state: StateDep,
    key_id: Annotated[int | None, Query(ge=1, description="only this key's writes")] = None,
    since: Annotated[
        dt.datetime | None, Query(description="only writes at or after this time")
    ] = None,
    until: Annotated[dt.datetime | None, Query(description="only writes before this time")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="entries per page")] = 100,
    offset: Annotated[int, Query(ge=0, description="entries to skip (newest first)")] = 0,
) -> AuditPage:
    """A page of the audit log (read in the thread pool: it asks the database)."""
    total, entries = await run_in_threadpool(
        lambda: read_audit(
            state.engine, key_id=key_id, since=since, until=until, limit=limit, offset=offset
        )
    )
    return AuditPage(
        total=total,
        limit=limit,
        offset=offset,
        entries=[AuditEntryOut.model_validate(entry, from_attributes=True) for entry in entries],
    )
