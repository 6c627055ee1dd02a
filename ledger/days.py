"""Day numbers: whole days since 1970-01-01, the one count of days in encours.

The ledger's rules (KPIs, lettrage), the simulator, the features, the payment-time model,
the worklist and the forecast all work on day numbers: integer arithmetic on days is exact
and vectorises. This module holds the conversions, dates to day numbers and back, so that
every layer counts the same way (:mod:`ledger.day_calendar` builds the business calendar
on them).

A missing date (NaT, None) has no day number: it becomes a sentinel, :data:`NEVER` unless
the caller picks another (the KPIs read a missing date as "always" or "never" by column).
Time of day is dropped: a timestamp belongs to the day it falls in, before 1970 too.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt
import pandas as pd

IntArray = npt.NDArray[np.int64]
DateArray = npt.NDArray[np.datetime64]
DateLike = dt.date | pd.Timestamp | np.datetime64 | str

EPOCH = dt.date(1970, 1, 1)
"""Day number 0."""
NEVER = 1 << 31
"""A day later than any real date (an invoice never paid, a date not given)."""
_EPOCH_ORDINAL = EPOCH.toordinal()
# The days datetime64[ns] can hold (1677-09-22 .. 2262-04-11): later ones would wrap.
_FIRST_NS_DAY = int(pd.Timestamp.min.ceil("D").value // 86_400_000_000_000)
_LAST_NS_DAY = int(pd.Timestamp.max.floor("D").value // 86_400_000_000_000)


def day_number(value: DateLike | None, missing: int = NEVER) -> int:
    """Day number of one date (a date, datetime, Timestamp, datetime64 or ISO text).

    ``missing`` when the value is None or NaT.
    """
    if value is None or value is pd.NaT or (isinstance(value, np.datetime64) and np.isnat(value)):
        return missing
    if not isinstance(value, dt.date):  # datetime and Timestamp are dates too
        value = pd.Timestamp(value)
    return value.toordinal() - _EPOCH_ORDINAL


def day_numbers(values: pd.Series | pd.Index | npt.ArrayLike, missing: int = NEVER) -> IntArray:
    """Day numbers of many dates as int64; ``missing`` where a date is empty."""
    dtype = values.dtype if isinstance(values, pd.Series | pd.Index | np.ndarray) else None
    if isinstance(dtype, np.dtype) and dtype.kind == "M":
        # Timestamps of any unit (a date as_of: seconds; a request's dates: days): nothing
        # to convert, microseconds for one invoice online.
        stamps = np.asarray(values)
    else:
        stamps = pd.Series(values).astype("datetime64[ns]").to_numpy()
    out = stamps.astype("datetime64[D]").astype(np.int64)
    out[np.isnat(stamps)] = missing
    return out


def dates_of(days: npt.ArrayLike, missing: int = NEVER, unit: str = "ns") -> DateArray:
    """Day numbers back to ``datetime64`` at midnight (``unit``: "ns" or "D").

    NaT where the day is ``missing``, and, in nanoseconds, where the day is past what
    ``datetime64[ns]`` can hold (a far sentinel would otherwise wrap to a wrong date).
    """
    day = np.asarray(days, dtype=np.int64)
    gap = day == missing
    if unit == "ns":
        gap |= (day < _FIRST_NS_DAY) | (day > _LAST_NS_DAY)
    out = np.where(gap, 0, day).astype("datetime64[D]").astype(f"datetime64[{unit}]")
    out[gap] = np.datetime64("NaT")
    return out
