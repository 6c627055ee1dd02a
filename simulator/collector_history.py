"""A collector's action history on a simulated ledger, confounded as in real life, with
each action's true effect.

The simulator's own relances follow a plan fixed at issue (:data:`DUNNING_PLANS`): every
unpaid invoice of a plan gets the same action on the same day, so its history holds no
invoice left alone to compare with, and no effect can be learnt from it. This module adds
the missing variation the way a real team does: at a few ages of the debt (days past
due), a collector picks one action per unpaid invoice, chasing the worst payers first
(the harder action goes to the higher true late probability) and leaving the good ones
alone. Its choice is *confounded*: the invoices chased hardest are the ones that would
have paid late anyway, so the naive difference between actions understates their effect.

An action taken ``age`` days after the due date multiplies what remains of the wait by
the channel's factor, the law :func:`simulator.truth._dun` applies to the plan's steps:
``T' = s + f (T - s)`` for the drawn payment day ``T`` after the action day ``s``. Hence
the truth, in closed form from :func:`simulator.truth.true_paid_by` (``F``), of
"paid within ``h`` days of the action" given unpaid on its day::

    P(T' <= s + h | T > s) = (F(s + h / f) - F(s)) / (1 - F(s))

and an action's true effect is that probability minus the one with ``f = 1`` (no action).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.parameters import _NEVER, DUNNING_PLANS, FloatArray, Simulation
from simulator.truth import true_paid_by

NO_ACTION = "none"
CHANNEL_FACTORS: dict[str, float] = {
    channel: factor for steps in DUNNING_PLANS.values() for _, channel, factor in steps
}
"""Each channel's factor on the remaining wait, as the simulator's relance plans apply it."""
ACTIONS = (NO_ACTION, *CHANNEL_FACTORS)
"""What the collector may do at an age of the debt, from nothing to legal action."""
HORIZON_DAYS = 30
"""The outcome: paid within this many days of the action."""
DECISION_AGES = (1, 15, 30)
"""Days past due at which the collector decides."""

# The collector's policy: an action's preference rises with the invoice's true late
# log-odds by its slope (chase the worst first: no action falls, legal rises fastest).
_BASE = {NO_ACTION: 0.8, "email": 0.5, "call": 0.0, "letter": -0.3, "formal_notice": -0.8}
_SLOPE = {NO_ACTION: -0.8, "email": -0.2, "call": 0.3, "letter": 0.3, "formal_notice": 0.7}
_BASE["legal"], _SLOPE["legal"] = -1.8, 0.9


def action_probabilities(late_logit: FloatArray) -> FloatArray:
    """The collector's chance of each of :data:`ACTIONS` (columns) per invoice (rows)."""
    z = np.clip(np.asarray(late_logit, dtype=np.float64), -4.0, 4.0)
    pref = np.stack([_BASE[a] + _SLOPE[a] * z for a in ACTIONS], axis=1)
    weights = np.exp(pref - pref.max(axis=1, keepdims=True))
    return np.asarray(weights / weights.sum(axis=1, keepdims=True), dtype=np.float64)


def _eligible(sim: Simulation, ages: tuple[int, ...]) -> pd.DataFrame:
    """One row per (invoice, age) unpaid on its action day whose horizon ends in the window."""
    truth = sim.truth.reset_index(drop=True)
    drawn = truth["drawn_paid_date"].fillna(pd.Timestamp.max.normalize())
    parts = []
    for age in ages:
        day = truth["due_date"] + pd.Timedelta(days=age)
        keep = (drawn > day) & (day + pd.Timedelta(days=HORIZON_DAYS) <= sim.end)
        part = pd.DataFrame({"row": np.flatnonzero(keep), "age": age, "action_date": day[keep]})
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def true_paid_within(sim: Simulation, rows: pd.DataFrame, factor: float) -> FloatArray:
    """P(paid within :data:`HORIZON_DAYS` of the action | unpaid then), per row of
    :func:`collector_history`'s kind, had an action of ``factor`` been taken."""
    truth = sim.truth.iloc[rows["row"].to_numpy()].reset_index(drop=True)
    s = (rows["action_date"].to_numpy() - truth["issue_date"].to_numpy()) // np.timedelta64(1, "D")
    s = s.astype(np.float64)
    before = true_paid_by(truth, s)
    within = true_paid_by(truth, s + HORIZON_DAYS / factor)
    return np.asarray((within - before) / np.maximum(1.0 - before, 1e-12), dtype=np.float64)


def collector_history(
    sim: Simulation, seed: int = 0, ages: tuple[int, ...] = DECISION_AGES
) -> pd.DataFrame:
    """The collector's actions on ``sim`` and their outcomes, with every action's truth.

    Returns one row per (invoice, age) unpaid at ``due_date + age`` (and whose 30 days
    after end in the window): ``invoice_id``, ``client_id``, ``age``, ``action_date``,
    ``action`` (one of :data:`ACTIONS`), ``days_to_pay`` after the action (NaN if never),
    ``paid_within_30``, and ``true_p30_<action>`` for every action (evaluation only).
    """
    rng = np.random.default_rng(seed)
    rows = _eligible(sim, ages)
    truth = sim.truth.iloc[rows["row"].to_numpy()].reset_index(drop=True)
    p_late = np.clip(truth["p_late"].to_numpy(np.float64), 1e-4, 1 - 1e-4)
    probs = action_probabilities(np.log(p_late / (1.0 - p_late)))
    chosen = (probs.cumsum(axis=1) < rng.random(len(rows))[:, None]).sum(axis=1)
    chosen = np.minimum(chosen, len(ACTIONS) - 1)
    factor = np.array([CHANNEL_FACTORS.get(a, 1.0) for a in ACTIONS])[chosen]
    drawn = truth["drawn_paid_date"].to_numpy()
    wait = (drawn - rows["action_date"].to_numpy()) / np.timedelta64(1, "D")
    wait = np.where(np.isnan(wait) | (wait >= float(_NEVER)), np.nan, wait * factor)
    out = pd.DataFrame(
        {
            "invoice_id": truth["invoice_id"].to_numpy(),
            "client_id": truth["client_id"].to_numpy(),
            "age": rows["age"].to_numpy(),
            "action_date": rows["action_date"].to_numpy(),
            "action": np.asarray(ACTIONS, dtype=object)[chosen],
            "days_to_pay": np.ceil(wait),
            "paid_within_30": np.nan_to_num(wait, nan=np.inf) <= HORIZON_DAYS,
        }
    )
    for action in ACTIONS:
        p = true_paid_within(sim, rows, CHANNEL_FACTORS.get(action, 1.0))
        out[f"true_p30_{action}"] = p
    return out
