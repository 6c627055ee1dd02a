"""What follows an invoice's payment date: credit notes, instalments, relances, advances.

None of it changes the payment date drawn (see :mod:`simulator`): credit notes reduce what
is paid, a first instalment comes before the last payment, relances are recorded with
outcomes derived from the payment date, advances are received before the invoice.
"""

from __future__ import annotations

import numpy as np

from ledger.contract import CHANNELS, OUTCOMES
from simulator.clients import _Clients
from simulator.parameters import (
    _MAX_ACTIONS,
    _NEVER,
    _NO_ACTION,
    _PLAN_CHANNELS,
    _PLAN_OFFSETS,
    _PROMISE,
    BoolArray,
    IntArray,
    Rows,
    SimulationConfig,
)
from simulator.truth import _next_pay_day


def _credit_notes(
    cfg: SimulationConfig, rng: np.random.Generator, rows: Rows, end: int
) -> tuple[Rows, IntArray]:
    """Partial credits before settlement on invoices that get paid, and each one's amount."""
    n = len(rows["client"])
    disputed, never, drawn, issue = rows["disputed"], rows["never"], rows["drawn"], rows["issue"]
    cn_rate = np.where(disputed, np.minimum(0.6, 10 * cfg.credit_note_rate), cfg.credit_note_rate)
    credited = ~never & (rng.random(n) < cn_rate)
    span = np.maximum(np.minimum(30, drawn - issue - 1), 1)
    cn_day = issue + 1 + (rng.random(n) * span).astype(np.int64)
    cn_amount = np.maximum(1, np.round(rng.uniform(0.05, 0.5, n) * rows["amount"])).astype(np.int64)
    cn_amount = np.where(credited, cn_amount, 0)
    written_cn = credited & (cn_day <= end)
    credit_notes = {
        "inv": rows["inv"][written_cn],
        "client": rows["client"][written_cn],
        "issue": cn_day[written_cn],
        "amount": cn_amount[written_cn],
        "channel": rows["channel"][written_cn],
        "paid_day": rows["paid_day"][written_cn],
    }
    return credit_notes, cn_amount


def _payments(
    cfg: SimulationConfig, rng: np.random.Generator, rows: Rows, cn_amount: IntArray, end: int
) -> Rows:
    """Payments: the last one on the drawn date, a first instalment for some."""
    n = len(rows["client"])
    inv, client, issue, drawn, paid = (rows[k] for k in ("inv", "client", "issue", "drawn", "paid"))
    payable = rows["amount"] - cn_amount
    partial = ~rows["never"] & (payable >= 2) & (rng.random(n) < cfg.partial_payment_rate)
    lo = np.maximum(issue + 1, np.minimum(rows["due"] - 10, drawn - 1))
    instalment_day = lo + (rng.random(n) * np.maximum(drawn - lo, 1)).astype(np.int64)
    instalment_day = np.minimum(_next_pay_day(instalment_day, np.zeros(n, dtype=np.int64)), drawn)
    first_amount = np.clip(np.round(rng.uniform(0.3, 0.7, n) * payable), 1, payable - 1)
    first_amount = np.where(partial, first_amount, 0).astype(np.int64)
    write_first = partial & (instalment_day <= end)
    return {
        "inv": np.concatenate([inv[write_first], inv[paid]]),
        "client": np.concatenate([client[write_first], client[paid]]),
        "day": np.concatenate([instalment_day[write_first], drawn[paid]]),
        "amount": np.concatenate([first_amount[write_first], (payable - first_amount)[paid]]),
        "partial": np.concatenate(
            [np.ones(int(write_first.sum()), bool), np.zeros(int(paid.sum()), bool)]
        ),
    }


def _dunning_actions(
    rng: np.random.Generator,
    inv: IntArray,
    due: IntArray,
    drawn: IntArray,
    plan: IntArray,
    disputed: BoolArray,
    end: int,
) -> dict[str, np.ndarray]:
    """The plan's actions taken while the invoice was unpaid, with their outcomes."""
    parts: list[dict[str, np.ndarray]] = []
    for k in range(_MAX_ACTIONS):
        offset = _PLAN_OFFSETS[plan, k]
        has = offset < _NO_ACTION
        day = due + np.where(has, offset, 0).astype(np.int64)
        taken = has & (drawn > day) & (day <= end)
        idx = np.flatnonzero(taken)
        channel = _PLAN_CHANNELS[plan[idx], k]
        wait = drawn[idx] - day[idx]  # days until paid (huge if never)
        m = len(idx)
        u = rng.random(m)
        soon = wait <= 30
        talk = channel != CHANNELS.index("email")
        promise = np.where(soon, u < np.where(talk, 0.75, 0.2), u < np.where(talk, 0.3, 0.05))
        outcome = np.where(promise, _PROMISE, OUTCOMES.index("no_answer"))
        outcome[wait <= 3] = OUTCOMES.index("paid")
        outcome[disputed[idx] & (k <= 1)] = OUTCOMES.index("dispute")
        # A kept promise names a date near the payment; a broken one an earlier date.
        kept = np.clip(wait + rng.integers(-3, 4, m), 1, None)
        broken = rng.integers(3, 16, m)
        promised = day[idx] + np.where(soon, kept, np.minimum(broken, np.maximum(wait - 1, 1)))
        promised = np.where(outcome == _PROMISE, promised, _NEVER)
        parts.append(
            {
                "inv": inv[idx],
                "day": day[idx],
                "channel": channel,
                "outcome": outcome,
                "promised": promised.astype(np.int64),
            }
        )
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def _advances(
    rng: np.random.Generator, cl: _Clients, client: IntArray, issue: IntArray, amount: IntArray
) -> dict[str, np.ndarray]:
    """Advances (compte 419) received before some invoices, applied on their issue date."""
    take = cl.uses_advances[client] & (rng.random(len(client)) < 0.25)
    idx = np.flatnonzero(take)
    share = rng.uniform(0.2, 0.4, len(idx))
    value = np.maximum(100, np.round(amount[idx] * share / (1.0 - share))).astype(np.int64)
    received = issue[idx] - rng.integers(7, 91, len(idx))
    received = np.minimum(np.maximum(received, cl.created[client[idx]]), issue[idx])
    return {
        "client": client[idx],
        "received": received.astype(np.int64),
        "amount": value,
        "applied": issue[idx],
    }
