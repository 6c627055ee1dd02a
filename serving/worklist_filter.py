"""Which worklist rows a collector asked to see: by profile, age, client, collector, amount.

A :class:`WorklistFilter` is applied to the rows by :func:`matching` (a mask) or
:func:`filtered` (the rows kept, in their order): pure functions of the rows' own columns,
so that filtering then ranking and ranking then filtering give the same list. The
worklist applies the mask before it ranks and cuts (:func:`serving.worklist.build_worklist`):
a filter chooses among all the candidates, not among a page of them.

The collector is the clients' user column ``x_collector`` (a ledger's own field, named
by the data contract's ``x_*`` rule); a ledger without it has no collector to filter by.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import pandas as pd

from ledger.contract import Ledger

Bucket = Literal["not_due", "1_30", "31_60", "61_90", "over_90"]
BUCKETS: tuple[Bucket, ...] = get_args(Bucket)
"""Ages by days past due, as the balance âgée has them: not due (<= 0), 1–30, 31–60,
61–90, over 90."""
_BUCKET_DAYS: dict[Bucket, tuple[float, float]] = {  # days past due, both ends included
    "not_due": (-np.inf, 0),
    "1_30": (1, 30),
    "31_60": (31, 60),
    "61_90": (61, 90),
    "over_90": (91, np.inf),
}
COLLECTOR_COLUMN = "x_collector"
"""The clients' user column naming who chases the client."""


@dataclass(frozen=True)
class WorklistFilter:
    """The rows to keep; ``None`` (or empty text) keeps every row on that field.

    Attributes:
        profile: the client's profile (``strategic``, ``public_sector``, ``risky``,
            ``standard``).
        bucket: the invoice's age by days past due (:data:`BUCKETS`).
        client: a client id (exactly) or part of a client's name (any case).
        collector: the client's collector (``x_collector``), exactly.
        min_amount: the smallest open amount kept, in currency units.
    """

    profile: str | None = None
    bucket: Bucket | None = None
    client: str | None = None
    collector: str | None = None
    min_amount: float | None = None

    def __post_init__(self) -> None:
        """A bucket not in :data:`BUCKETS` is a mistake, not a filter that keeps nothing (an
        empty one, as a form sends it, keeps every row)."""
        if self.bucket and self.bucket not in BUCKETS:
            raise ValueError(f"unknown bucket {self.bucket!r}: one of {', '.join(BUCKETS)}")

    @property
    def active(self) -> bool:
        """Whether any field is set: a filter is on (a page may say so)."""
        texts = (self.profile, self.bucket, self.client, self.collector)
        return any(texts) or self.min_amount is not None


def matching(rows: pd.DataFrame, filters: WorklistFilter | None) -> np.ndarray:
    """Which of ``rows`` (worklist columns) the filter keeps, as a boolean mask.

    Reads ``profile``, ``days_past_due``, ``client_id``, ``client_name``, ``collector``
    and ``open_cents``.
    """
    keep = np.ones(len(rows), dtype=bool)
    if filters is None:
        return keep
    if filters.profile:
        keep &= (rows["profile"] == filters.profile).to_numpy(dtype=bool)
    if filters.bucket:
        low, high = _BUCKET_DAYS[filters.bucket]
        days = rows["days_past_due"].to_numpy()
        keep &= (days >= low) & (days <= high)
    if filters.client:
        keep &= _client_is(rows, filters.client)
    if filters.collector:
        keep &= (rows["collector"] == filters.collector).to_numpy(dtype=bool)
    if filters.min_amount is not None:
        keep &= rows["open_cents"].to_numpy() >= _cents_at_least(filters.min_amount)
    return keep


def _cents_at_least(amount: float) -> int:
    """The fewest cents that are at least ``amount`` units: 12.991 -> 1300.

    Rounded first, as ``1.1 * 100`` is 110.00000000000001 in floats and 1.10 must keep 1.10.
    """
    return math.ceil(round(amount * 100, 6))


def _client_is(rows: pd.DataFrame, client: str) -> np.ndarray:
    """Rows of the client ``client`` names: its id exactly, or part of its name, any case."""
    by_id = (rows["client_id"] == client).to_numpy(dtype=bool)
    names = rows["client_name"].astype("string").str.casefold()
    by_name = names.str.contains(client.casefold(), regex=False).fillna(False)
    return by_id | by_name.to_numpy(dtype=bool)


def filtered(rows: pd.DataFrame, filters: WorklistFilter | None) -> pd.DataFrame:
    """The rows the filter keeps, in their order (a ranking stays a ranking)."""
    return rows[matching(rows, filters)]


def collector_of(clients: pd.DataFrame, client_ids: np.ndarray) -> np.ndarray:
    """Each client's collector as text, ``None`` where none is named or the column is absent."""
    if COLLECTOR_COLUMN not in clients:
        return np.full(len(client_ids), None, dtype=object)
    by_id = clients.drop_duplicates("client_id").set_index("client_id")[COLLECTOR_COLUMN]
    found = by_id.reindex(client_ids).to_numpy(dtype=object)
    return np.array([_text(v) for v in found], dtype=object)


def _text(value: object) -> str | None:
    """A collector's name as text; ``None`` for a missing or blank cell."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    return text or None


def collectors(ledger: Ledger) -> list[str]:
    """The collectors named in the clients table, sorted; empty without ``x_collector``."""
    clients = ledger.clients
    if COLLECTOR_COLUMN not in clients:
        return []
    named = collector_of(clients, clients["client_id"].to_numpy(dtype=object))
    return sorted({n for n in named if n is not None})
