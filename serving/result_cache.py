"""Results computed from one ledger snapshot, kept while that snapshot is served.

A snapshot is replaced whole when the ledger's version changes, and its kept results go
with it: the key of a result is therefore (ledger version, what was asked), and the
service functions add the model's name and version to it where a model is used. The
pages ask the same figures at every load (the aged balance at 13 month ends, a client's
score at 13 dates): kept, the second load costs a lookup.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

KEPT_RESULTS = 512
"""Results kept per snapshot, the least recently used dropped first: a page's figures at a
few dates and filters for a few dozen users, small beside the snapshot itself."""


class ResultCache:
    """Results by key, computed once each: a second caller of a key being computed waits
    for the first one's result rather than computing it again."""

    def __init__(self, size: int = KEPT_RESULTS) -> None:
        self.size = size
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
                    while len(self._kept) > self.size:
                        self._kept.popitem(last=False)
            finally:
                with self._lock:
                    self._making.pop(key, None)
        return made
