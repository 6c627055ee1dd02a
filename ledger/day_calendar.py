"""The calendar on day numbers (whole days since 1970-01-01): weekdays, months, pay runs.

Shared by the simulator, which pays in runs, and the features, which look for them.
Business days are Monday to Friday (public holidays are not known here).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
SATURDAY, SUNDAY = 5, 6


def weekday(days: npt.ArrayLike) -> IntArray:
    """Monday = 0 ... Sunday = 6 (1970-01-01 was a Thursday)."""
    return (np.asarray(days, dtype=np.int64) + 3) % 7


def month_of(days: npt.ArrayLike) -> IntArray:
    """Month number (months since 1970-01) of each day."""
    day = np.asarray(days, dtype=np.int64)
    return day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def month_start(months: npt.ArrayLike) -> IntArray:
    """First day of each month number."""
    month = np.asarray(months, dtype=np.int64)
    return month.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def month_of_year(days: npt.ArrayLike) -> IntArray:
    """1 (January) ... 12 (December)."""
    return month_of(days) % 12 + 1


def end_of_month(days: npt.ArrayLike) -> IntArray:
    """Last day of each day's month."""
    return month_start(month_of(days) + 1) - 1


def month_end_run(months: npt.ArrayLike) -> IntArray:
    """Last business day of each month."""
    last = month_start(np.asarray(months, dtype=np.int64) + 1) - 1
    wd = weekday(last)
    return last - np.where(wd == SATURDAY, 1, np.where(wd == SUNDAY, 2, 0))


def tenth_run(months: npt.ArrayLike) -> IntArray:
    """The 10th of each month, or the Monday after when it falls on a weekend."""
    tenth = month_start(months) + 9
    wd = weekday(tenth)
    return tenth + np.where(wd == SATURDAY, 2, np.where(wd == SUNDAY, 1, 0))
