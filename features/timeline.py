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

DAY_OFFSET = 1 << 20  # keeps days since 1970 positive in the key
NEVER = 1 << 31  # a day later than any real date (an invoice never paid)
_SHIFT = 32


def days(values: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Whole days since 1970-01-01 as int64; missing dates become ``NEVER``."""
    stamps = pd.Series(values).astype("datetime64[ns]")
    out = stamps.to_numpy().astype("datetime64[D]").astype("int64")
    out[stamps.isna().to_numpy()] = NEVER
    return out


def keys(entity: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Sortable int64 keys: entity first, then day."""
    return (entity.astype("int64") << _SHIFT) + (day.astype("int64") + DAY_OFFSET)


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
        order = np.lexsort((day, entity))
        entity, day = entity[order], day[order]
        sorted_deltas = deltas.iloc[order].reset_index(drop=True)
        running = sorted_deltas.groupby(entity).cumsum()
        return cls.from_running(entity, day, running)

    def positions(self, entity: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Index of the last event of each entity strictly before ``day``; -1 when none."""
        query = keys(entity, day)
        pos = np.searchsorted(self.keys, query, side="left") - 1
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
