"""Scores given, kept for monitoring: gathered in memory, written to the score log in bulk.

Scoring answers thousands of requests a second; a database write per request would cost
more than the score. :class:`ScoreLog` only appends the request's arrays to a buffer
(under a lock, microseconds); the rows go to the database (:func:`ledger.score_log.
append_scores`) in one transaction when the buffer holds ``flush_rows`` or is older than
``flush_seconds``, in a thread of their own, and when the app or the command ends. A write
that fails (a busy database) keeps the rows for the next one, up to ``max_rows``: the
score itself never fails for its log.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from ledger.score_log import append_scores
from serving.scoring import InvoiceScores, LoadedModel

logger = logging.getLogger("encours.score_log")

KEPT_DATES = (0, 1, 3)
"""Columns of :attr:`InvoiceScores.dates` the log keeps: expected, P10, P90."""
NO_DAY = np.datetime64("NaT", "D")


@dataclass(frozen=True)
class ScoredPart:
    """Scores given together, kept as they came: arrays, no frame (a request's costs a
    microsecond or two to keep; the frame is built once for many, when written)."""

    scored_at: np.datetime64
    version: str
    as_of: Any
    """One date, or one per invoice."""
    invoice_ids: Any
    client_ids: Any
    p_late: Any
    dates: Sequence[Any] | None
    """Expected, P10 and P90 payment dates (arrays); None without a payment-time model."""

    @property
    def n(self) -> int:
        """How many scores."""
        return len(self.p_late)

    def days(self, values: Any) -> np.ndarray:
        """``values`` (one date, or one per score) as days, one per score."""
        days = np.asarray(pd.to_datetime(values), dtype="datetime64[D]")
        return np.broadcast_to(days, (self.n,))


def now_utc() -> np.datetime64:
    """This moment in UTC, to the microsecond (naive: the log's times are all UTC)."""
    return np.datetime64(dt.datetime.now(dt.UTC).replace(tzinfo=None), "us")


def rows_of(source: str, parts: Sequence[ScoredPart]) -> pd.DataFrame:
    """The log's rows for ``parts`` (:data:`ledger.score_log.LOGGED_COLUMNS`). Scores of
    invoices without an id (a prospect's) are left out: no outcome will ever join them."""

    def joined(values: list[np.ndarray], dtype: Any) -> np.ndarray:
        return np.concatenate(values).astype(dtype, copy=False) if values else np.zeros(0, dtype)

    def dates(k: int) -> np.ndarray:
        return joined(
            [p.days(p.dates[k]) if p.dates is not None else np.full(p.n, NO_DAY) for p in parts],
            "datetime64[D]",
        )

    frame = pd.DataFrame(
        {
            "scored_at": pd.to_datetime(
                joined([np.full(p.n, p.scored_at) for p in parts], "datetime64[us]"), utc=True
            ),
            "source": source,
            "invoice_id": joined([np.asarray(p.invoice_ids, dtype=object) for p in parts], object),
            "client_id": joined([np.asarray(p.client_ids, dtype=object) for p in parts], object),
            "as_of": joined([p.days(p.as_of) for p in parts], "datetime64[D]"),
            "model_version": joined([np.full(p.n, p.version, dtype=object) for p in parts], object),
            "p_late": joined([np.asarray(p.p_late, dtype=float) for p in parts], float),
            "expected_date": dates(0),
            "p10_date": dates(1),
            "p90_date": dates(2),
        }
    )
    return frame[frame["invoice_id"].notna().to_numpy()].reset_index(drop=True)


def score_rows(
    source: str,
    model: LoadedModel,
    as_of: dt.date | Any,
    invoice_ids: Any,
    client_ids: Any,
    p_late: Any,
    dates: Sequence[Any] | None = None,
) -> pd.DataFrame:
    """The log's rows for scores of invoices seen at ``as_of`` by the late-payment
    ``model`` (``as_of`` one date, or one per invoice); ``dates`` the expected, P10 and P90
    payment dates (arrays), None without a payment-time model."""
    part = ScoredPart(now_utc(), str(model.version), as_of, invoice_ids, client_ids, p_late, dates)
    return rows_of(source, [part])


def worklist_part(model: LoadedModel, as_of: dt.date, rows: pd.DataFrame) -> ScoredPart:
    """The scores a worklist gives (:attr:`serving.worklist.Worklist.rows`)."""
    dates = [rows[c] for c in ("expected_payment_date", "payment_p10_date", "payment_p90_date")]
    return ScoredPart(
        now_utc(),
        str(model.version),
        as_of,
        rows["invoice_id"].to_numpy(),
        rows["client_id"].to_numpy(),
        rows["p_late"].to_numpy(),
        dates,
    )


class ScoreLog:
    """Scores recorded by one process, written to the database in bulk.

    Args:
        engine: the ledger's database.
        source: where the scores are given (``api``, ``worklist``, ``batch``).
        flush_rows: write once this many rows wait.
        flush_seconds: write once the oldest waiting row is this old (at the next record).
        max_rows: rows kept at most while writes fail; the oldest are dropped beyond.
    """

    def __init__(
        self,
        engine: Engine,
        source: str,
        flush_rows: int = 50_000,
        flush_seconds: float = 10.0,
        max_rows: int = 2_000_000,
    ) -> None:
        self.engine = engine
        self.source = source
        self.flush_rows = flush_rows
        self.flush_seconds = flush_seconds
        self.max_rows = max_rows
        self._waiting: list[ScoredPart] = []
        self._rows = 0
        self._since = time.monotonic()
        self._lock = threading.Lock()
        self._writing = threading.Lock()

    @property
    def waiting(self) -> int:
        """Rows recorded and not yet written."""
        return self._rows

    def record(
        self, model: LoadedModel, as_of: dt.date, invoices: Any, scores: InvoiceScores
    ) -> None:
        """Keep the scores of ``invoices`` (a frame or columns with ``invoice_id`` and
        ``client_id``) seen at ``as_of``; start a write in the background when one is due."""
        dates = None if scores.dates is None else [scores.dates[:, k] for k in KEPT_DATES]
        ids, clients = invoices["invoice_id"], invoices["client_id"]
        self.keep(
            ScoredPart(now_utc(), str(model.version), as_of, ids, clients, scores.p_late, dates)
        )

    def keep(self, part: ScoredPart) -> None:
        """Keep ``part``; start a background write when one is due."""
        if part.n == 0:
            return
        with self._lock:
            if not self._waiting:
                self._since = time.monotonic()
            self._waiting.append(part)
            self._rows += part.n
            due = (
                self._rows >= self.flush_rows
                or time.monotonic() - self._since >= self.flush_seconds
            )
        if due and not self._writing.locked():
            threading.Thread(target=self.flush, name="score-log", daemon=True).start()

    def flush(self) -> int:
        """Write every waiting score now, in one transaction; returns how many rows were
        written (0 when the write failed: the scores wait for the next one)."""
        with self._writing:
            with self._lock:
                parts, self._waiting, self._rows = self._waiting, [], 0
            if not parts:
                return 0
            try:
                return append_scores(self.engine, rows_of(self.source, parts))
            except SQLAlchemyError as exc:
                logger.warning(
                    "score log not written, %d scores kept: %s", sum(p.n for p in parts), exc
                )
                self._keep(parts)
                return 0

    def _keep(self, parts: list[ScoredPart]) -> None:
        """Put back scores a write failed to write, before newer ones; beyond ``max_rows``
        waiting, the oldest parts are dropped."""
        with self._lock:
            merged = [*parts, *self._waiting]
            total = sum(p.n for p in merged)
            while len(merged) > 1 and total > self.max_rows:
                total -= merged.pop(0).n
            self._waiting, self._rows = merged, total
