"""One month of a simulation: the invoices issued and how each one is paid.

:func:`_simulate_month` runs the steps of the module docstring of :mod:`simulator` for the
invoices of one month; what follows a payment date (credit notes, instalments, relances,
advances) is drawn in :mod:`simulator.payments`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ledger.day_calendar import end_of_month, is_business_day, month_of_year, month_start
from simulator.clients import _Clients
from simulator.parameters import (
    _DAYS_PER_MONTH,
    _MAX_DELAY_DAYS,
    _NEVER,
    _PLAN_NAMES,
    _SEASON,
    _SLOW_MONTHS,
    BoolArray,
    FloatArray,
    IntArray,
    Rows,
    SimulationConfig,
)
from simulator.payments import _advances, _credit_notes, _dunning_actions, _payments
from simulator.scenarios import downturn_hit, downturn_shift, scenario_terms
from simulator.truth import _anchor, _dun, _next_pay_day, _paid_by_day


def _issue_days(rng: np.random.Generator, month: int, month_end_billing: BoolArray) -> IntArray:
    """Issue days in ``month``: spread over business days, or on the last ones."""
    first = int(month_start(np.array([month]))[0])
    last = int(month_start(np.array([month + 1]))[0]) - 1
    days = np.arange(first, last + 1, dtype=np.int64)
    business = days[is_business_day(days)]
    n = len(month_end_billing)
    spread = business[rng.integers(0, len(business), n)]
    from_end = rng.choice(3, size=n, p=[0.6, 0.25, 0.15])
    closing = business[len(business) - 1 - from_end]
    return np.where(month_end_billing, closing, spread)


def _due_days(issue: IntArray, terms: IntArray) -> IntArray:
    """Due dates: 30 or 60 days net, 45 days end of month (issue + 45, then month end)."""
    return np.where(terms == 45, end_of_month(issue + 45), issue + terms)


def _sigmoid(x: FloatArray) -> FloatArray:
    return 1.0 / (1.0 + np.exp(-x))


@dataclass
class _Chunk:
    """One month of simulated rows; ``inv`` indexes invoices within all chunks."""

    invoices: dict[str, np.ndarray]
    credit_notes: dict[str, np.ndarray]
    payments: dict[str, np.ndarray]
    actions: dict[str, np.ndarray]
    advances: dict[str, np.ndarray]


# The columns of a month's rows that the ledger and the truth are built from.
_INVOICE_KEYS = (
    *("client", "issue", "due", "amount", "channel", "disputed", "paid_day", "written_off"),
    *("q", "early", "scale", "shape", "plan", "calendar", "default_day", "drawn"),
)


def _simulate_month(
    cfg: SimulationConfig,
    rng: np.random.Generator,
    cl: _Clients,
    month: int,
    end: int,
    first_index: int,
) -> _Chunk:
    """Invoices issued in ``month`` and everything that follows from them up to ``end``.

    In steps, in the order of the random draws (the same seed gives the same ledger):
    1. the invoices issued (client, day, amount, due date, channel, dispute), 2. their
    payment-time distribution, from what is known at issue, 3. the payment drawn
    (intention, dunning, payment calendar, default), 4. the truth's bucket
    probabilities (no draw), 5. credit notes, 6. payments, 7. relances, 8. advances.
    """
    rows = _issued(cfg, rng, cl, month)
    rows |= _payment_law(cfg, cl, rows)
    rows |= _draw_payment(cfg, rng, rows, end)
    rows["inv"] = first_index + np.arange(len(rows["client"]), dtype=np.int64)
    invoices = {"inv": rows["inv"], **{k: rows[k] for k in _INVOICE_KEYS}, **_buckets(rows)}
    credit_notes, cn_amount = _credit_notes(cfg, rng, rows, end)
    payments = _payments(cfg, rng, rows, cn_amount, end)
    inv, disputed = rows["inv"], rows["disputed"]
    actions = _dunning_actions(rng, inv, rows["due"], rows["drawn"], rows["plan"], disputed, end)
    advances = _advances(rng, cl, rows["client"], rows["issue"], rows["amount"])
    return _Chunk(invoices, credit_notes, payments, actions, advances)


def _issued(cfg: SimulationConfig, rng: np.random.Generator, cl: _Clients, month: int) -> Rows:
    """The invoices of ``month``: client, issue and due days, amounts, channel, dispute."""
    first_day = int(month_start(np.array([month]))[0])
    last_day = int(month_start(np.array([month + 1]))[0]) - 1
    moy = month % 12
    active = (cl.created <= last_day) & (cl.default_day > first_day)
    counts = rng.poisson(cl.rate * _SEASON[moy]) * active
    client = np.repeat(np.arange(len(cl.ids)), counts)
    issue = _issue_days(rng, month, cl.month_end_billing[client])
    keep = (issue >= cl.created[client]) & (issue < cl.default_day[client])
    client, issue = client[keep], issue[keep]
    order = np.lexsort((client, issue))
    client, issue = client[order], issue[order]
    n = len(client)

    # Amounts: lognormal around the client's scale, often round, TTC in France.
    z = rng.normal(0.0, 1.0, n)
    ht = cl.scale_eur[client] * np.exp(cl.amount_sigma[client] * z)
    ht_cents = np.where(rng.random(n) < 0.4, np.round(ht / 10.0) * 1000, np.round(ht * 100))
    ht_cents = np.maximum(ht_cents, 100).astype(np.int64)
    vat = cl.country[client] == 0
    amount = np.where(vat, (ht_cents * 12 + 5) // 10, ht_cents)

    terms = scenario_terms(cfg.scenario, cfg.scenario_day, issue, cl.terms[client])
    due = _due_days(issue, terms)
    own_channel = rng.random(n) < 0.9
    channel = np.where(own_channel, cl.channel[client], rng.integers(0, 3, n))
    disputed = rng.random(n) < np.minimum(
        0.5, cfg.dispute_rate * cl.dispute_propensity[client] * np.where(channel == 2, 1.5, 1.0)
    )
    return {
        "client": client,
        "issue": issue,
        "ht": ht,
        "amount": amount,
        "due": due,
        "channel": channel,
        "disputed": disputed,
    }


def _payment_law(cfg: SimulationConfig, cl: _Clients, rows: Rows) -> Rows:
    """Each invoice's payment-time distribution, from what is known when it is issued (and,
    in a sector downturn, from when it falls due)."""
    client, issue, due, channel = rows["client"], rows["issue"], rows["due"], rows["channel"]
    disputed = rows["disputed"]
    slow_issue = np.isin(month_of_year(issue), _SLOW_MONTHS)
    slow_due = np.isin(month_of_year(due), _SLOW_MONTHS)
    relative = np.log(rows["ht"] / cl.scale_eur[client])
    drift_months = np.clip((issue - cl.drift_start[client]) / _DAYS_PER_MONTH, 0.0, 24.0)
    drift = cl.drift_slope[client] * drift_months
    hit = downturn_hit(cfg.scenario, cfg.scenario_day, cl.sector[client], due)
    downturn_logit, downturn_scale = downturn_shift(hit)
    logit = (
        cl.on_time_logit[client]
        - 0.3 * slow_issue
        - 0.6 * slow_due
        - 0.1 * relative
        - 1.5 * drift
        - 0.25 * (channel == 2)
        + 0.2 * (channel == 0)
        - 3.0 * disputed
        - downturn_logit
    )
    log_scale = (
        np.log(cl.late_scale[client])
        + np.log(1.3) * slow_issue
        + np.log(1.5) * slow_due
        + 0.1 * relative
        + drift
        + np.log(1.15) * (channel == 2)
        + np.log(4.0) * disputed
        + downturn_scale
    )
    calendar = cl.calendar[client]
    anchor = _anchor(issue, due, calendar)
    # An on-time payment never comes before the day after issue.
    early = np.clip(cl.early_days[client], 0.5, np.maximum(anchor - issue - 1, 0.5))
    return {
        "q": _sigmoid(logit),
        "scale": np.exp(log_scale),
        "shape": cl.late_shape[client],
        "plan": _dunning_plan(disputed, cl.public[client], rows["amount"] / 100.0),
        "calendar": calendar,
        "default_day": cl.default_day[client],
        "anchor": anchor,
        "early": early,
    }


def _dunning_plan(disputed: BoolArray, public: BoolArray, eur: FloatArray) -> IntArray:
    """The relance plan fixed at issue: disputed, public, then by amount."""
    return np.where(
        disputed,
        _PLAN_NAMES.index("disputed"),
        np.where(
            public,
            _PLAN_NAMES.index("public"),
            np.where(
                eur < 1_000,
                _PLAN_NAMES.index("small"),
                np.where(eur >= 10_000, _PLAN_NAMES.index("large"), _PLAN_NAMES.index("standard")),
            ),
        ),
    ).astype(np.int64)


def _draw_payment(cfg: SimulationConfig, rng: np.random.Generator, rows: Rows, end: int) -> Rows:
    """The payment day drawn: intention, dunning, payment calendar, default."""
    n = len(rows["client"])
    anchor, due, plan = rows["anchor"], rows["due"], rows["plan"]
    scale, shape, early = rows["scale"], rows["shape"], rows["early"]
    u = rng.random(n)
    on_time = rng.random(n) < rows["q"]
    late = scale * np.power(u / (1.0 - u), 1.0 / shape)
    x = np.where(on_time, -u * early, np.clip(late, 1e-9, _MAX_DELAY_DAYS))
    offset = np.ceil(_dun(x, plan, due - anchor)).astype(np.int64)
    drawn = _next_pay_day(anchor + offset, rows["calendar"])
    default_day = rows["default_day"]
    never = drawn > default_day
    drawn = np.where(never, _NEVER, drawn)
    paid = drawn <= end
    return {
        "drawn": drawn,
        "never": never,
        "paid": paid,
        "paid_day": np.where(paid, drawn, _NEVER),
        "written_off": never & (default_day + cfg.write_off_lag_days <= end),
    }


def _buckets(rows: Rows) -> Rows:
    """The truth's bucket probabilities, from the closed-form CDF."""
    anchor, due, q, early = rows["anchor"], rows["due"], rows["q"], rows["early"]
    scale, shape, plan = rows["scale"], rows["shape"], rows["plan"]
    calendar, default_day = rows["calendar"], rows["default_day"]

    def cdf(day: IntArray) -> FloatArray:
        return _paid_by_day(day, anchor, due, q, early, scale, shape, plan, calendar, default_day)

    f_due, f_30, f_60, f_90 = cdf(due), cdf(due + 30), cdf(due + 60), cdf(due + 90)
    p_never = np.where(default_day < _NEVER, 1.0 - cdf(default_day), 0.0)
    return {
        "p_on_time": f_due,
        "p_1_30": f_30 - f_due,
        "p_31_60": f_60 - f_30,
        "p_61_90": f_90 - f_60,
        "p_over_90": 1.0 - f_90,
        "p_never_paid": p_never,
    }
