"""Payment runs: the fixed days on which many clients pay, month end and the 10th.

A client paying in runs ("paiement le 10", "fin de mois") settles an invoice in the last
run on or before its due date; when no run falls between issue and due date, the invoice
waits for the next one and is paid late, however good the client. The history family
says how often a client paid on such a day, the invoice family whether a run falls in
the invoice's term. Days are whole days since 1970; business days are Monday to Friday
(public holidays are not known here).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

SATURDAY, SUNDAY = 5, 6


def weekday(day: np.ndarray) -> np.ndarray:
    """Weekday of whole days since 1970 (Monday = 0; 1970-01-01 was a Thursday)."""
    return (np.asarray(day, dtype="int64") + 3) % 7


def month_of(day: np.ndarray) -> np.ndarray:
    """Months since January 1970 of whole days since 1970."""
    return (
        np.asarray(day, dtype="int64")
        .astype("datetime64[D]")
        .astype("datetime64[M]")
        .astype("int64")
    )


def _month_start(month: np.ndarray) -> np.ndarray:
    """First day of each month (months since January 1970)."""
    return month.astype("datetime64[M]").astype("datetime64[D]").astype("int64")


def month_end_run(month: np.ndarray) -> np.ndarray:
    """Last business day of each month."""
    last = _month_start(month + 1) - 1
    wd = weekday(last)
    return last - np.where(wd == SATURDAY, 1, np.where(wd == SUNDAY, 2, 0))


def tenth_run(month: np.ndarray) -> np.ndarray:
    """The 10th of each month, or the Monday after when it falls on a weekend."""
    tenth = _month_start(month) + 9
    wd = weekday(tenth)
    return tenth + np.where(wd == SATURDAY, 2, np.where(wd == SUNDAY, 1, 0))


Run = Callable[[np.ndarray], np.ndarray]


def on_run(day: np.ndarray, run: Run) -> np.ndarray:
    """Whether each day is its month's ``run`` day."""
    day = np.asarray(day, dtype="int64")
    return day == run(month_of(day))


def run_in_term(issue: np.ndarray, due: np.ndarray, run: Run) -> np.ndarray:
    """Whether a ``run`` day falls after ``issue`` and on or before ``due``."""
    issue = np.asarray(issue, dtype="int64")
    month = month_of(issue)
    this_month = run(month)
    first_after = np.where(this_month > issue, this_month, run(month + 1))
    return first_after <= np.asarray(due, dtype="int64")
