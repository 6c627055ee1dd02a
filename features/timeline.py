"""Step values per entity (client or invoice) over time, read strictly before a date.

A timeline holds, for each entity, the running values after each event day. Looking up
(entity, t) returns the values after the last event dated strictly before t: an event on
t itself is not yet known at t. One sorted key array serves a million pairs in a batch
(vectorised ``searchsorted``) and a single pair online in microseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ledger.days import NEVER as NEVER  # re-exported: the features compare against it
from ledger.days import day_numbers

DAY_OFFSET = 1 << 20  # keeps days since 1970 positive in the key
_SHIFT = 32
BATCH = 1_000  # from this many queries, sorting them first pays off

days = day_numbers
"""Day numbers of dates, ``NEVER`` where missing: :func:`ledger.days.day_numbers`, kept
under its old name for the code that imports it from here."""


def keys(entity: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Sortable int64 keys: entity first, then day."""
    return (entity.astype("int64") << _SHIFT) + (day.astype("int64") + DAY_OFFSET)


def query_order(entity: np.ndarray, day: np.ndarray) -> np.ndarray | None:
    """The order that sorts the keys of a large batch of queries; None for a few queries."""
    if len(entity) < BATCH:
        return None
    return np.argsort(keys(entity, day))


def search(sorted_keys: np.ndarray, query: np.ndarray, order: np.ndarray | None) -> np.ndarray:
    """``np.searchsorted(sorted_keys, query, side="left")``, the queries taken in ``order``."""
    if order is None:
        return np.searchsorted(sorted_keys, query, side="left")
    out = np.empty(len(query), dtype=np.int64)
    out[order] = np.searchsorted(sorted_keys, query[order], side="left")
    return out


def _running_sums(values: np.ndarray, entity: np.ndarray) -> np.ndarray:
    """Running sums of ``values`` per entity (``entity`` sorted), as pandas' groupby cumsum.

    Whole numbers take one running sum less each entity's start: exact, and quicker than
    grouping (int64 wraps around and back should the total overflow). Floats are summed
    per entity by pandas, whose rounding depends on where each sum starts.
    """
    if values.dtype.kind not in "iu" or len(values) == 0:
        return pd.Series(values).groupby(entity).cumsum().to_numpy()
    total = np.cumsum(values, dtype=np.int64)
    first = np.flatnonzero(np.r_[True, entity[1:] != entity[:-1]])
    before = (total - values)[first]
    return total - np.repeat(before, np.diff(np.r_[first, len(values)]))


@dataclass(frozen=True)
class Timeline:
    """Running values per entity after each event day, sorted by (entity, day)."""

    keys: np.ndarray
    values: dict[str, np.ndarray]

    @classmethod
    def from_running(cls, entity: np.ndarray, day: np.ndarray, running: pd.DataFrame) -> Timeline:
        """A timeline from running values already accumulated in (entity, day) order.

        Several events on one day keep the values after the last of them.
        """
        k = keys(entity, day)
        last_of_day = np.append(k[1:] != k[:-1], True) if len(k) else np.zeros(0, bool)
        return cls(
            keys=k[last_of_day],
            values={name: running[name].to_numpy()[last_of_day] for name in running.columns},
        )

    @classmethod
    def from_deltas(cls, entity: np.ndarray, day: np.ndarray, deltas: pd.DataFrame) -> Timeline:
        """A timeline whose values are the running sums of ``deltas`` per entity."""
        # A stable sort of the keys: the order of ``np.lexsort((day, entity))``, sooner.
        order = np.argsort(keys(entity, day), kind="stable")
        entity, day = entity[order], day[order]
        running = pd.DataFrame(
            {name: _running_sums(deltas[name].to_numpy()[order], entity) for name in deltas}
        )
        return cls.from_running(entity, day, running)

    def positions(
        self, entity: np.ndarray, day: np.ndarray, order: np.ndarray | None = None
    ) -> np.ndarray:
        """Index of the last event of each entity strictly before ``day``; -1 when none.

        ``order`` (from :func:`query_order`) sorts a large batch of queries first: walking
        the keys in order is several times faster than jumping around them.
        """
        pos = search(self.keys, keys(entity, day), order) - 1
        found = pos >= 0
        found[found] = (self.keys[pos[found]] >> _SHIFT) == entity[found]
        return np.where(found & (entity >= 0), pos, -1)

    def take(self, name: str, pos: np.ndarray, missing: float = np.nan) -> np.ndarray:
        """Values of ``name`` at ``pos`` as float64, ``missing`` where ``pos`` is -1."""
        column = self.values[name]
        if len(column) == 0:
            return np.full(len(pos), missing, dtype="float64")
        out = column[np.maximum(pos, 0)].astype("float64")
        out[pos < 0] = missing
        return out
