"""The calendar on day numbers (:mod:`ledger.days`): weekdays, months, business days, runs.

One calendar for the simulator, which pays in runs, the features, which look for them,
and the cash-in forecast, which snaps payments onto them.

A **business day** is a weekday that is neither a public holiday of metropolitan France
(``holidays.France()``, no subdivision: Alsace-Moselle's Good Friday and 26 December are
not in it) nor a TARGET2 closing day (``holidays.financial_holidays("XECB")``: New
Year's Day, Good Friday, Easter Monday, 1 May, 25 and 26 December, from 1999): on those
T2 is closed and no SEPA credit transfer settles, and French firms do not run payments on
their own public holidays. Whit Monday (lundi de Pentecôte) counts as a holiday, as in
``holidays.France()`` and the Code du travail (L3133-1), except in 2005-2007 when the law
made it a working day. Both calendars come from the maintained ``holidays`` package.

The closing days are known for :data:`FIRST_YEAR` to :data:`LAST_YEAR` (the package's
French calendar ends in 2100); outside those years a business day is any weekday.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import numpy.typing as npt

from ledger.days import day_numbers

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
SATURDAY = 5
FIRST_YEAR, LAST_YEAR = 1970, 2100


@cache
def closing_days() -> IntArray:
    """Sorted day numbers of the French public holidays and TARGET2 closing days.

    Built once, on first use (about 0.15 s), read-only since it is shared.
    """
    import holidays  # the package takes 50 ms to import: only when a date needs it

    years = range(FIRST_YEAR, LAST_YEAR + 1)
    france = holidays.France(years=years)  # no subdivision: metropolitan France
    target2 = holidays.financial_holidays("XECB", years=years)
    closed = set(france) | set(target2)
    days = day_numbers(np.array(sorted(closed), dtype="datetime64[D]"))
    days.setflags(write=False)
    return days


def weekday(days: npt.ArrayLike) -> IntArray:
    """Monday = 0 ... Sunday = 6 (1970-01-01 was a Thursday)."""
    return (np.asarray(days, dtype=np.int64) + 3) % 7


def is_business_day(days: npt.ArrayLike) -> BoolArray:
    """Whether each day is a weekday, neither a French public holiday nor a TARGET2 closing day."""
    day = np.asarray(days, dtype=np.int64)
    closed = closing_days()
    at = np.minimum(np.searchsorted(closed, day), len(closed) - 1)
    return (weekday(day) < SATURDAY) & (closed[at] != day)


def next_business_day(days: npt.ArrayLike) -> IntArray:
    """First business day on or after each day."""
    return _step_to_business_day(days, 1)


def previous_business_day(days: npt.ArrayLike) -> IntArray:
    """Last business day on or before each day."""
    return _step_to_business_day(days, -1)


def _step_to_business_day(days: npt.ArrayLike, step: int) -> IntArray:
    # Closed days come at most four in a row (Good Friday to Easter Monday): a few passes,
    # each over the days still closed.
    day = np.array(days, dtype=np.int64, copy=True, ndmin=1).reshape(-1)
    closed = np.flatnonzero(~is_business_day(day))
    while closed.size:
        day[closed] += step
        closed = closed[~is_business_day(day[closed])]
    return day.reshape(np.shape(days))


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
    """Last business day of each month (Thursday 28 March 2024: the 29th is Good Friday)."""
    return previous_business_day(month_start(np.asarray(months, dtype=np.int64) + 1) - 1)


def tenth_run(months: npt.ArrayLike) -> IntArray:
    """The 10th of each month, or the next business day when the 10th is not one."""
    return next_business_day(month_start(months) + 9)
