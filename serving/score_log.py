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


def _days(values: Any, n: int) -> np.ndarray:
    """``values`` (one date, or ``n``) as ``n`` days."""
    days = np.asarray(pd.to_datetime(values), dtype="datetime64[D]")
    return np.broadcast_to(days, (n,))


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
    payment dates (arrays), None without a payment-time model. Invoices without an id (a
    prospect's) are left out: no outcome will ever be joined to them."""
    ids = pd.Series(np.asarray(invoice_ids, dtype=object))
    kept = ids.notna().to_numpy()
    n = int(kept.sum())
    none = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")

    def pick(k: int) -> np.ndarray:
        if dates is None:
            return none
        return np.asarray(pd.to_datetime(np.asarray(dates[k])[kept]), dtype="datetime64[D]")

    return pd.DataFrame(
        {
            "scored_at": pd.Timestamp.now(tz="UTC"),
            "source": source,
            "invoice_id": ids[kept].to_numpy(),
            "client_id": np.asarray(client_ids, dtype=object)[kept],
            "as_of": _days(as_of, len(ids))[kept],
            "model_version": str(model.version),
            "p_late": np.asarray(p_late, dtype=float)[kept],
            "expected_date": pick(0),
            "p10_date": pick(1),
            "p90_date": pick(2),
        }
    )


def worklist_score_rows(
    source: str, model: LoadedModel, as_of: dt.date, rows: pd.DataFrame
) -> pd.DataFrame:
    """The log's rows for the scores a worklist gives (:attr:`serving.worklist.Worklist.rows`)."""
    dates = [rows[c] for c in ("expected_payment_date", "payment_p10_date", "payment_p90_date")]
    return score_rows(
        source, model, as_of, rows["invoice_id"], rows["client_id"], rows["p_late"], dates
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
        self._waiting: list[pd.DataFrame] = []
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
        rows = score_rows(
            self.source,
            model,
            as_of,
            invoices["invoice_id"],
            invoices["client_id"],
            scores.p_late,
            None if scores.dates is None else [scores.dates[:, k] for k in KEPT_DATES],
        )
        self.record_rows(rows)

    def record_rows(self, rows: pd.DataFrame) -> None:
        """Keep ``rows`` (:func:`score_rows`); start a background write when one is due."""
        if rows.empty:
            return
        with self._lock:
            if not self._waiting:
                self._since = time.monotonic()
            self._waiting.append(rows)
            self._rows += len(rows)
            due = (
                self._rows >= self.flush_rows
                or time.monotonic() - self._since >= self.flush_seconds
            )
        if due and not self._writing.locked():
            threading.Thread(target=self.flush, name="score-log", daemon=True).start()

    def flush(self) -> int:
        """Write every waiting row now, in one transaction; returns how many were written
        (0 when the write failed: the rows wait for the next one)."""
        with self._writing:
            with self._lock:
                parts, self._waiting, self._rows = self._waiting, [], 0
            if not parts:
                return 0
            rows = pd.concat(parts, ignore_index=True)
            try:
                return append_scores(self.engine, rows)
            except SQLAlchemyError as exc:
                logger.warning("score log not written, %d rows kept: %s", len(rows), exc)
                self._keep(rows)
                return 0

    def _keep(self, rows: pd.DataFrame) -> None:
        """Put back rows a write failed to write, before newer ones, within ``max_rows``."""
        with self._lock:
            merged = pd.concat([rows, *self._waiting], ignore_index=True)
            if len(merged) > self.max_rows:
                merged = merged.iloc[len(merged) - self.max_rows :]
            self._waiting, self._rows = [merged], len(merged)
