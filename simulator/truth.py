"""The payment-time distribution of an invoice, in closed form: the simulation's truth.

Payment calendars on day numbers (see :mod:`ledger.day_calendar`), the intention, the
relances that shorten a delay and the default, composed into :func:`true_paid_by`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from ledger.day_calendar import (
    month_end_run,
    month_of,
    next_business_day,
    previous_business_day,
    tenth_run,
)
from ledger.days import day_numbers
from simulator.parameters import (
    _MAX_ACTIONS,
    _NEVER,
    _PLAN_FACTORS,
    _PLAN_NAMES,
    _PLAN_OFFSETS,
    KEY_ACCOUNT_SLOWER,
    PAY_CALENDARS,
    PUBLIC_SLOWER,
    TENDENCY_CENTRE,
    FloatArray,
    IntArray,
)

# --- payment calendars on day numbers (see ledger.day_calendar) ----------------------


def _run_tables(months: IntArray) -> tuple[IntArray, IntArray]:
    """Month-end and 10th runs of the month before, of and after each month (last axis 0-2).

    Computed once per distinct month and looked up: much faster than calendar arithmetic
    on every element, and than every month of the span, which reaches a century past the
    window (delays are capped at 100 years; the "never" day is beyond).
    """
    distinct, at = np.unique(months.ravel(), return_inverse=True)
    around = distinct[:, None] + np.arange(-1, 2)
    at = at.reshape(months.shape)
    return month_end_run(around)[at], tenth_run(around)[at]


def _next_pay_day(days: IntArray, calendar: IntArray) -> IntArray:
    """First day of the client's payment calendar on or after ``days``."""
    business = next_business_day(days)
    end_runs, tenth_runs = _run_tables(month_of(days))
    end_run = np.where(days > end_runs[..., 1], end_runs[..., 2], end_runs[..., 1])
    tenth = np.where(days > tenth_runs[..., 1], tenth_runs[..., 2], tenth_runs[..., 1])
    choices = [business, end_run, tenth, np.minimum(end_run, tenth)]
    return np.choose(calendar, choices).astype(np.int64)


def _prev_pay_day(days: IntArray, calendar: IntArray) -> IntArray:
    """Last day of the client's payment calendar on or before ``days``."""
    business = previous_business_day(days)
    end_runs, tenth_runs = _run_tables(month_of(days))
    end_run = np.where(days < end_runs[..., 1], end_runs[..., 0], end_runs[..., 1])
    tenth = np.where(days < tenth_runs[..., 1], tenth_runs[..., 0], tenth_runs[..., 1])
    choices = [business, end_run, tenth, np.maximum(end_run, tenth)]
    return np.choose(calendar, choices).astype(np.int64)


# --- the payment-time distribution ---------------------------------------------------


def _anchor(issue: IntArray, due: IntArray, calendar: IntArray) -> IntArray:
    """The day an on-time client aims at: its last payment day on or before the due date.

    A client paying in runs pays on time in the run before the due date; when that run
    is not after the issue date, the day after issue (the invoice then waits for the
    next run and may be late however willing the client).
    """
    return np.maximum(_prev_pay_day(due, calendar), issue + 1)


def _dun(x: FloatArray, plan: IntArray, lag: IntArray) -> FloatArray:
    """The intended offset from the anchor once dunning has shortened it.

    ``g``, increasing and continuous: each action of the plan, taken ``lag + offset``
    days after the anchor (``lag`` = due date - anchor), multiplies what remains.
    """
    out = x.copy()
    for k in range(_MAX_ACTIONS):
        offset, factor = _PLAN_OFFSETS[plan, k] + lag, _PLAN_FACTORS[plan, k]
        out = np.where(out > offset, offset + factor * (out - offset), out)
    return out


def _undun(x: FloatArray, plan: IntArray, lag: IntArray) -> FloatArray:
    """The inverse of :func:`_dun`."""
    out = np.asarray(x, dtype=np.float64).copy()
    for k in reversed(range(_MAX_ACTIONS)):
        offset, factor = _PLAN_OFFSETS[plan, k] + lag, _PLAN_FACTORS[plan, k]
        out = np.where(out > offset, offset + (out - offset) / factor, out)
    return out


def _intention_cdf(
    x: FloatArray, q: FloatArray, early: FloatArray, scale: FloatArray, shape: FloatArray
) -> FloatArray:
    """P(X <= x) for the intended offset X from the anchor (before dunning)."""
    on_time = q * np.clip(1.0 + x / early, 0.0, 1.0)
    # log-logistic CDF 1 / (1 + (x / scale) ** -shape), kept finite near x = 0
    inverse_odds = np.power(np.maximum(x, 1e-9) / scale, -shape)
    late = q + (1.0 - q) / (1.0 + inverse_odds)
    return np.where(x <= 0, on_time, late)


def _paid_by_day(
    day: IntArray,
    anchor: IntArray,
    due: IntArray,
    q: FloatArray,
    early: FloatArray,
    scale: FloatArray,
    shape: FloatArray,
    plan: IntArray,
    calendar: IntArray,
    default_day: IntArray,
) -> FloatArray:
    """P(paid on or before ``day``), every argument broadcast together."""
    last_day = _prev_pay_day(np.minimum(day, default_day), calendar)
    x = _undun((last_day - anchor).astype(np.float64), plan, due - anchor)
    return _intention_cdf(x, q, early, scale, shape)


def _truth_arrays(truth: pd.DataFrame) -> dict[str, np.ndarray]:
    """The columns of ``truth`` that define each invoice's distribution, as arrays."""
    default_day = day_numbers(truth["default_date"], int(_NEVER))
    plans = pd.Index(_PLAN_NAMES).get_indexer(pd.Index(truth["dunning_plan"].astype(str)))
    calendars = pd.Index(PAY_CALENDARS).get_indexer(pd.Index(truth["pay_calendar"].astype(str)))
    if (plans < 0).any() or (calendars < 0).any():
        raise ValueError("truth has an unknown dunning_plan or pay_calendar")
    return {
        "issue": day_numbers(truth["issue_date"], int(_NEVER)),
        "due": day_numbers(truth["due_date"], int(_NEVER)),
        "q": truth["on_time_prob"].to_numpy(np.float64),
        "early": truth["early_days"].to_numpy(np.float64),
        "scale": truth["late_scale"].to_numpy(np.float64),
        "shape": truth["late_shape"].to_numpy(np.float64),
        "plan": plans.astype(np.int64),
        "calendar": calendars.astype(np.int64),
        "default_day": default_day,
    }


def tendency_mean(public: npt.ArrayLike, key_account: npt.ArrayLike) -> FloatArray:
    """Mean base on-time log-odds of clients of this kind, before each client's own draw."""
    public_, key = np.asarray(public, dtype=np.float64), np.asarray(key_account, dtype=np.float64)
    return TENDENCY_CENTRE - PUBLIC_SLOWER * public_ - KEY_ACCOUNT_SLOWER * key


def true_p_late_shifted(truth: pd.DataFrame, shift: npt.ArrayLike) -> FloatArray:
    """P(paid after the due date) had the client's base on-time log-odds been ``shift`` higher.

    ``shift`` is one value per truth row (shape ``(n,)``) or a grid per row (``(n, k)``);
    a shift of 0 gives the truth's ``p_late``. What a client's base tendency is worth,
    for a reference that knows everything but it (``bench/oracle_ceiling.py``).
    """
    q = truth["on_time_prob"].to_numpy(np.float64)
    shifted = np.asarray(shift, dtype=np.float64)
    extra = (1,) * max(shifted.ndim - 1, 0)
    logit = np.log(np.clip(q, 1e-12, 1.0)) - np.log(np.clip(1.0 - q, 1e-12, 1.0))
    new_q = 1.0 / (1.0 + np.exp(-(logit.reshape(q.shape + extra) + shifted)))
    # P(paid by the due date) is linear in the on-time probability: its two ends suffice.
    terms = (truth["due_date"] - truth["issue_date"]).dt.days.to_numpy()
    sure = true_paid_by(truth.assign(on_time_prob=1.0), terms).reshape(q.shape + extra)
    never = true_paid_by(truth.assign(on_time_prob=0.0), terms).reshape(q.shape + extra)
    return np.asarray(1.0 - (new_q * sure + (1.0 - new_q) * never), dtype=np.float64)


def true_paid_by(truth: pd.DataFrame, days_after_issue: npt.ArrayLike) -> FloatArray:
    """True probability that each invoice is paid within ``days_after_issue`` days of issue.

    Args:
        truth: the truth frame of a :class:`Simulation` (or read back from its CSV).
        days_after_issue: a scalar, one value per truth row (shape ``(n,)``), or a grid
            per row (shape ``(n, k)``); fractions of a day are floored.

    Returns:
        ``P(paid_date <= issue_date + d)``, shaped like the broadcast of the inputs;
        non-decreasing in ``d``, below one for ever when the client defaults.
    """
    arrays = _truth_arrays(truth)
    d = np.floor(np.asarray(days_after_issue, dtype=np.float64))
    d = np.clip(d, -1.0, float(_NEVER)).astype(np.int64)
    extra = (1,) * max(d.ndim - 1, 0)
    cols = {k: v.reshape(v.shape + extra) for k, v in arrays.items()}
    return _paid_by_day(
        cols["issue"] + d,
        _anchor(cols["issue"], cols["due"], cols["calendar"]),
        cols["due"],
        cols["q"],
        cols["early"],
        cols["scale"],
        cols["shape"],
        cols["plan"],
        cols["calendar"],
        cols["default_day"],
    )
