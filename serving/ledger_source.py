"""The ledger as the service sees it: loaded from the database, refreshed when stale."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import Engine

from features.pipeline import FeatureBuilder
from ledger.contract import Ledger
from ledger.storage import load_ledger


@dataclass(frozen=True)
class Snapshot:
    """A ledger and the feature builder fitted on it, replaced together."""

    ledger: Ledger
    features: FeatureBuilder


class LedgerSource:
    """Hands out a ledger snapshot no older than ``max_age_seconds``.

    Imports made while the service runs become visible at the next refresh.
    """

    def __init__(self, engine: Engine, max_age_seconds: float) -> None:
        self.engine = engine
        self.max_age_seconds = max_age_seconds
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._loaded_at = 0.0

    def current(self) -> Snapshot:
        """The snapshot, reloaded first if it is older than the allowed age."""
        with self._lock:
            stale = time.monotonic() - self._loaded_at > self.max_age_seconds
            if self._snapshot is None or stale:
                ledger = load_ledger(self.engine)
                self._snapshot = Snapshot(ledger, FeatureBuilder().fit(ledger))
                self._loaded_at = time.monotonic()
            return self._snapshot
