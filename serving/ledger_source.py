"""The ledger as the service sees it: loaded from the database, refreshed when stale."""

from __future__ import annotations

import gc
import logging
import math
import threading
import time
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Engine

from features.pipeline import FeatureBuilder
from ledger.contract import Ledger
from ledger.storage import load_ledger

logger = logging.getLogger("encours.api")


@dataclass(frozen=True)
class Snapshot:
    """A ledger and the feature builder fitted on it, replaced together."""

    ledger: Ledger
    features: FeatureBuilder

    @cached_property
    def client_ids(self) -> frozenset[str]:
        """The ledger's client ids, for lookups (built at the first one)."""
        return frozenset(self.ledger.clients["client_id"].astype(str).tolist())


def settle_heap() -> None:
    """Collect what the last snapshot left, then exempt every object alive now (the new
    snapshot, the models, the libraries) from Python's cyclic garbage collector.

    A full collection walks every object alive: with a million-invoice snapshot held,
    about 250 ms during which no request is answered, and it came every few dozen
    requests. Frozen objects are still freed when nothing refers to them; they are only
    left out of the walks. Done once per snapshot, so the 250 ms come once per refresh.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


class LedgerSource:
    """Hands out a ledger snapshot, replaced once it is older than ``max_age_seconds``.

    Imports made while the service runs become visible at the next refresh. The first
    call loads the ledger; afterwards a stale snapshot keeps being served while a new one
    is built in the background (a million invoices take about 45 s to read and fit: no
    request waits for that), then swapped in. ``max_age_seconds`` 0 means no reuse: every
    call reads the ledger anew, in the caller's thread.
    """

    def __init__(self, engine: Engine, max_age_seconds: float) -> None:
        self.engine = engine
        self.max_age_seconds = max_age_seconds
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._loaded_at = 0.0
        self._refreshing: threading.Thread | None = None

    def _load(self) -> Snapshot:
        ledger = load_ledger(self.engine)
        return Snapshot(ledger, FeatureBuilder().fit(ledger))

    def current(self) -> Snapshot:
        """The snapshot held (loaded first if there is none); starts its replacement when
        it is stale."""
        with self._lock:
            if self._snapshot is None or self.max_age_seconds <= 0:
                first = self._snapshot is None
                self._snapshot, self._loaded_at = self._load(), time.monotonic()
                if first and self.max_age_seconds > 0:
                    settle_heap()
                return self._snapshot
            stale = time.monotonic() - self._loaded_at > self.max_age_seconds
            if stale and self._refreshing is None:
                self._refreshing = threading.Thread(
                    target=self._refresh, name="ledger-refresh", daemon=True
                )
                self._refreshing.start()
            return self._snapshot

    def ready(self) -> Snapshot | None:
        """The snapshot :meth:`current` would hand out without reading the database now
        (its background refresh started if it is stale), else None."""
        if self._snapshot is None or self.max_age_seconds <= 0:
            return None
        return self.current()

    def _refresh(self) -> None:
        """Build a new snapshot and swap it in; on failure keep the old one until the next
        stale call tries again."""
        try:
            fresh = self._load()
        except Exception:
            logger.exception("could not reread the ledger; serving the previous snapshot")
            with self._lock:
                self._loaded_at = time.monotonic()  # try again after another max age
                self._refreshing = None
            return
        with self._lock:
            self._snapshot, self._loaded_at = fresh, time.monotonic()
            self._refreshing = None
        del fresh
        settle_heap()

    def reread_soon(self, wait_seconds: float = 0.0) -> None:
        """Reread the ledger now (a page wrote to it), in the background, waiting up to
        ``wait_seconds`` for the new snapshot; the old one serves meanwhile."""
        self.wait_for_refresh(wait_seconds)  # one under way may have read before the write
        with self._lock:
            if self._snapshot is None or self.max_age_seconds <= 0:
                return  # read afresh at the next call anyway
            self._loaded_at = -math.inf
        self.current()
        self.wait_for_refresh(wait_seconds)

    def wait_for_refresh(self, timeout: float | None = None) -> None:
        """Block until a background refresh under way (if any) has finished."""
        thread = self._refreshing
        if thread is not None:
            thread.join(timeout)
