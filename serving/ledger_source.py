"""The ledger as the service sees it: loaded from the database, refreshed when stale."""

from __future__ import annotations

import threading
import time

from sqlalchemy import Engine

from ledger.contract import Ledger
from ledger.storage import load_ledger


class LedgerSource:
    """Hands out an in-memory ledger no older than ``max_age_seconds``.

    Imports made while the service runs become visible at the next refresh.
    """

    def __init__(self, engine: Engine, max_age_seconds: float) -> None:
        self.engine = engine
        self.max_age_seconds = max_age_seconds
        self._lock = threading.Lock()
        self._ledger: Ledger | None = None
        self._loaded_at = 0.0

    def current(self) -> Ledger:
        """The ledger, reloaded first if it is older than the allowed age."""
        with self._lock:
            stale = time.monotonic() - self._loaded_at > self.max_age_seconds
            if self._ledger is None or stale:
                self._ledger = load_ledger(self.engine)
                self._loaded_at = time.monotonic()
            return self._ledger
