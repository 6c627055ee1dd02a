"""Results computed from one ledger snapshot, kept while that snapshot is served.

A snapshot is replaced whole when the ledger's version changes, and its kept results go
with it: the key of a result is therefore (ledger version, what was asked), and the
service functions add the model's name and version to it where a model is used. The
pages ask the same figures at every load (the aged balance at 13 month ends, a client's
score at 13 dates): kept, the second load costs a lookup.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

KEPT_RESULTS = 512
"""Results kept per snapshot, the least recently used dropped first: a page's figures at a
few dates and filters for a few dozen users, small beside the snapshot itself."""
KEPT_LARGE = {"worklist_base": 2, "open_amounts": 4, "worklist_all": 2}
"""Fewer of the results as large as a share of the ledger, by kind (a key's first item):
a day's worklist candidates with their features are about 45 MB at a million invoices."""


class ResultCache:
    """Results by key, computed once each: a second caller of a key being computed waits
    for the first one's result rather than computing it again."""

    def __init__(self, size: int = KEPT_RESULTS, large: dict[str, int] | None = None) -> None:
        self.size = size
        self.large = KEPT_LARGE if large is None else large
        self._kept: OrderedDict[Hashable, Any] = OrderedDict()
        self._making: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()
        self.made = 0
        """Results computed (not found kept): for tests and logs."""

    def __len__(self) -> int:
        return len(self._kept)

    def _found(self, key: Hashable) -> tuple[bool, Any]:
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return True, self._kept[key]
        return False, None

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        """The result kept under ``key``, made by ``make`` (and kept) when there is none."""
        found, value = self._found(key)
        if found:
            return value
        with self._lock:
            making = self._making.setdefault(key, threading.Lock())
        with making:
            found, value = self._found(key)  # made meanwhile by the caller we waited for
            if found:
                return value
            try:
                made = make()
                with self._lock:
                    self.made += 1
                    self._kept[key] = made
                    self._drop_oldest(key)
            finally:
                with self._lock:
                    self._making.pop(key, None)
        return made

    def _drop_oldest(self, added: Hashable) -> None:
        """Drop the least recently used results beyond the bounds, after ``added``."""
        kind = added[0] if isinstance(added, tuple) and added else None
        limit = self.large.get(kind) if isinstance(kind, str) else None
        if limit is not None:
            same = [k for k in self._kept if isinstance(k, tuple) and k and k[0] == kind]
            for key in same[: max(0, len(same) - limit)]:
                del self._kept[key]
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)


class TimedResults:
    """Results by key, each kept ``seconds`` after it was made: for what lives outside the
    ledger (the model registry, which MLflow reads in about 0.4 s at every ask), where no
    version says when it changed."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._kept: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        """The result kept under ``key`` while younger than :attr:`seconds`, else made anew
        by ``make`` (and kept); a failure of ``make`` is not kept."""
        now = time.monotonic()
        with self._lock:
            kept = self._kept.get(key)
        if kept is not None and now - kept[0] < self.seconds:
            return kept[1]
        made = make()
        with self._lock:
            self._kept = {k: v for k, v in self._kept.items() if now - v[0] < self.seconds}
            self._kept[key] = (now, made)
        return made
