"""Payment runs: the fixed days on which many clients pay, month end and the 10th.

A client paying in runs ("paiement le 10", "fin de mois") settles an invoice in the last
run on or before its due date; when no run falls between issue and due date, the invoice
waits for the next one and is paid late, however good the client. The history family
says how often a client paid on such a day, the invoice family whether a run falls in
the invoice's term. Days are whole days since 1970; the runs themselves are
:mod:`ledger.day_calendar`'s (business days: no weekends, French public holidays or
TARGET2 closing days), the simulator's and the cash-in forecast's too.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ledger.day_calendar import month_of

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
