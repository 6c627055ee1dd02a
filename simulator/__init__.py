"""Simulate a French B2B receivables ledger whose payment behaviour is known exactly.

The simulated ledger follows the data contract (:mod:`ledger.contract`) and comes with
the *truth*: for every invoice, the distribution its payment date was drawn from, so
that models can be scored against the best achievable predictions.

How one invoice is paid (all times in whole days, every step is in the truth):

1. **Intention.** The client aims at an *anchor*: its last payment day on or before the
   due date (see 3; the day after issue if that day comes earlier). With probability
   ``on_time_prob`` it pays on time, on ``anchor - E`` with
   ``E ~ Uniform(0, early_days)``; otherwise late, on ``anchor + X`` with ``X``
   log-logistic (scale ``late_scale``, shape ``late_shape``, CDF
   ``1 / (1 + (X / scale) ** -shape)``). The parameters come from the client's latent
   behaviour (sector, country, public sector, segment) and from what is known when the
   invoice is issued: August / December issue or due dates, dispute, billing channel
   (paper is slower), amount versus the client's usual amount, and deterioration (for
   some clients delays drift upward from a given date).
2. **Dunning** (relance). The collection policy is fixed at issue (``dunning_plan``,
   see :data:`DUNNING_PLANS`: email at due + 1, call at + 15, formal notice at + 30,
   legal at + 75 for large amounts...). Each action taken while the invoice is unpaid
   multiplies the remaining delay by a factor below one. This turns ``X`` into
   ``g(X)``, a continuous increasing piecewise-linear map, so dunning *is* in the
   truth: ``P(g(X) <= x) = F(g⁻¹(x))``. The intended day is ``anchor + ceil(g(X))``.
3. **Payment calendar** (``pay_calendar``). Transfers land on business days (no
   weekends, French public holidays or TARGET2 closing days: see
   :mod:`ledger.day_calendar`); many clients pay only in month-end runs (last business
   day), on the 10th (or the next business day), or both. The paid date is
   the first calendar day on or after the intended day, hence ``paid <= t`` exactly
   when ``intended <= prev_run(t)``: the snapping is in the truth too (an invoice that
   misses the run before its due date waits for the next one, late).
4. **Default.** A few clients fail on ``default_date`` (and are invoiced no more):
   invoices not paid by then are never paid, and flagged ``written_off`` once
   ``write_off_lag_days`` have passed by the end of the window. The truth carries this
   mass at infinity (``p_never_paid``).

So :func:`true_paid_by` gives ``P(paid within d days of issue)`` in closed form for any
``d``, and the bucket probabilities (``p_on_time``, ``p_1_30``, ``p_31_60``,
``p_61_90``, ``p_over_90`` which includes never paid) and ``p_late = 1 - p_on_time``
follow from it. The truth is conditional on the client's latent parameters, including a
future default date, which no model can know: it is the best achievable score, not a
reachable one.

Not in the truth (they do not change payment dates): partial payments (a share of paid
invoices is settled in two instalments, the last one on the drawn date), credit notes
(a partial credit issued before the invoice is settled, reducing what is paid; a credit
note's ``paid_date`` is the date it is set against its invoice, i.e. the invoice's
settlement date), the outcomes recorded on dunning actions (derived from the drawn date:
a promise to pay names a date near it, or an earlier, broken one), advances (compte 419:
received before the invoice whose net amount they reduce, ``applied_date`` = its issue
date; a few still held at the end) and unbilled deliveries near the end.

The window runs from the first day of ``start``'s month for ``n_months`` months; its
last day is ``Simulation.end`` (the "today" of the ledger). Invoices whose drawn payment
date falls after it are open (right-censored) and their later payments are not written;
the uncensored draw is kept in the truth as ``drawn_paid_date``.

The simulation is vectorised with numpy (one loop per month) and deterministic for a
seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from ledger.contract import (
    ACTIONS,
    ADVANCES,
    CHANNELS,
    CLIENTS,
    DEFAULT_CURRENCY,
    DOC_TYPES,
    EFFETS,
    INVOICES,
    OUTCOMES,
    PAYMENTS,
    UNBILLED,
    Ledger,
    empty_frame,
)
from ledger.day_calendar import (
    end_of_month,
    is_business_day,
    month_end_run,
    month_of,
    month_of_year,
    month_start,
    next_business_day,
    previous_business_day,
    tenth_run,
)
from ledger.days import dates_of, day_numbers
from ledger.files import FileFormat, write_ledger

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# A day number standing for "never" (no default, never paid): far beyond any window.
_NEVER = np.int64(10**7)
# Longest intended delay after the due date, in days; caps the log-logistic tail so that
# dates stay representable (the truth differs from the draw only beyond a century).
_MAX_DELAY_DAYS = 36_500.0
_DAYS_PER_MONTH = 30.4375

PAY_CALENDARS = ("business_day", "month_end", "tenth", "tenth_and_month_end")
"""When a client's transfers land: any business day, or only in payment runs."""

DUNNING_PLANS: dict[str, tuple[tuple[int, str, float], ...]] = {
    "small": ((1, "email", 0.9), (15, "call", 0.75), (30, "letter", 0.85)),
    "standard": ((1, "email", 0.9), (15, "call", 0.75), (30, "formal_notice", 0.6)),
    "large": (
        (1, "email", 0.9),
        (15, "call", 0.75),
        (30, "formal_notice", 0.6),
        (75, "legal", 0.7),
    ),
    "public": ((1, "email", 0.9), (15, "call", 0.75), (45, "letter", 0.85)),
    "disputed": ((1, "email", 0.9), (15, "call", 0.75)),
}
"""Relance plans: (days after due, channel, factor applied to the remaining delay).

``small`` is for amounts under 1,000 €, ``large`` for 10,000 € and over (private
clients), ``public`` for public-sector buyers, ``disputed`` stops after the call while
the litigation runs.
"""

_PLAN_NAMES = tuple(DUNNING_PLANS)
_PROMISE = OUTCOMES.index("promise_to_pay")
_MAX_ACTIONS = max(len(p) for p in DUNNING_PLANS.values())
_NO_ACTION = 1e12  # offset of the missing steps of a shorter plan
_PLAN_OFFSETS = np.full((len(_PLAN_NAMES), _MAX_ACTIONS), _NO_ACTION)
_PLAN_FACTORS = np.ones((len(_PLAN_NAMES), _MAX_ACTIONS))
_PLAN_CHANNELS = np.full((len(_PLAN_NAMES), _MAX_ACTIONS), -1, dtype=np.int64)
for _p, _steps in enumerate(DUNNING_PLANS.values()):
    for _k, (_offset, _channel, _factor) in enumerate(_steps):
        _PLAN_OFFSETS[_p, _k] = _offset
        _PLAN_FACTORS[_p, _k] = _factor
        _PLAN_CHANNELS[_p, _k] = CHANNELS.index(_channel)

_SEGMENTS = ("key_account", "mid_market", "sme")
_SEGMENT_P = (0.08, 0.22, 0.70)
_SEGMENT_SCALE = np.array([5.0, 2.0, 1.0])  # invoice size multiplier
_SEGMENT_RATE = np.array([3.0, 1.4, 0.8])  # invoices per month multiplier

_COUNTRIES = ("FR", "BE", "DE", "ES", "IT", "NL", "LU", "PT", "AT", "CH")
_COUNTRY_P = (0.80, 0.05, 0.04, 0.03, 0.03, 0.02, 0.01, 0.01, 0.005, 0.005)
_COUNTRY_DELAY = np.array([1.0, 1.1, 0.7, 1.5, 1.5, 0.75, 1.0, 1.4, 0.75, 0.8])
_LEGAL_FORMS = ("SAS", "SRL", "GmbH", "SL", "Srl", "BV", "Sàrl", "Lda", "GmbH", "AG")

# (sector, delay multiplier, share, word used in names)
_PRIVATE_SECTORS = (
    ("industrie", 1.0, 0.18, "Industrie"),
    ("btp", 1.4, 0.14, "Construction"),
    ("commerce de gros", 1.0, 0.14, "Négoce"),
    ("distribution", 0.9, 0.08, "Distribution"),
    ("transport et logistique", 1.2, 0.08, "Transports"),
    ("services aux entreprises", 0.9, 0.14, "Services"),
    ("informatique", 0.8, 0.08, "Informatique"),
    ("agroalimentaire", 0.9, 0.06, "Alimentaire"),
    ("santé", 1.1, 0.05, "Médical"),
    ("hôtellerie-restauration", 1.3, 0.05, "Hôtels"),
)
_PUBLIC_SECTORS = (
    ("administration d'État", 1.0, 0.3, "Préfecture de"),
    ("collectivité territoriale", 1.2, 0.5, "Commune de"),
    ("santé publique", 1.8, 0.2, "Centre hospitalier de"),
)
# Word lists read better as text than as one quoted word per line.
_SURNAMES = np.array(
    "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent "  # noqa: SIM905
    "Lefebvre Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André Mercier "
    "Dupont Lambert Bonnet François Martinez Legrand Garnier Faure Rousseau Blanc Guerin "
    "Muller Henry Roussel Nicolas Perrin Morin Mathieu Clement Gauthier Dumont Lopez Fontaine "
    "Chevalier Robin Masson".split()
)
_CITIES = np.array(
    "Lyon Marseille Toulouse Nice Nantes Strasbourg Montpellier Bordeaux Lille Rennes Reims "  # noqa: SIM905
    "Dijon Angers Grenoble Brest Tours Limoges Amiens Metz Besançon Perpignan Orléans Rouen "
    "Caen Nancy Poitiers Pau Annecy Valence Quimper".split()
)
_CHANNELS = ("edi", "email", "paper")
# Invoices per month of the year (January first): August and December are quieter.
_SEASON = np.array([1.0, 1.0, 1.05, 1.0, 0.95, 1.0, 0.95, 0.6, 1.05, 1.05, 1.0, 0.85])
_SLOW_MONTHS = (8, 12)


@dataclass
class SimulationConfig:
    """What to simulate; every rate is a share of invoices unless it says clients.

    Attributes:
        n_clients: number of clients (some start during the window).
        n_months: length of the window in months.
        seed: random seed; the same config gives the same ledger.
        start: first month of the window (the day of the month is ignored).
        invoices_per_month: median rhythm of a small client (Poisson mean).
        public_share: share of clients in the public sector (slow payers).
        dispute_rate: base share of invoices disputed (scaled per client).
        credit_note_rate: share of invoices partially credited (more if disputed).
        partial_payment_rate: share of paid invoices settled in two instalments.
        default_rate: share of clients that fail during (or just after) the window.
        deterioration_rate: share of clients whose delays drift upward from some month.
        advance_rate: share of clients paying advances (acomptes) on some invoices.
        unbilled_rate: share of active clients with a delivery not yet invoiced at the end.
        write_off_lag_days: days after a default before its invoices are written off.
    """

    n_clients: int = 200
    n_months: int = 24
    seed: int = 42
    start: date = date(2024, 1, 1)
    invoices_per_month: float = 2.0
    public_share: float = 0.12
    dispute_rate: float = 0.03
    credit_note_rate: float = 0.02
    partial_payment_rate: float = 0.08
    default_rate: float = 0.03
    deterioration_rate: float = 0.08
    advance_rate: float = 0.10
    unbilled_rate: float = 0.08
    write_off_lag_days: int = 90


@dataclass
class Simulation:
    """A simulated ledger, its truth (evaluation only) and the last day of its window.

    Attributes:
        ledger: the contract tables, as an import would give them.
        truth: one row per invoice (not credit notes): its payment-time distribution
            (the parameters :func:`true_paid_by` reads), the bucket probabilities and
            the uncensored drawn payment date.
        end: the last day of the window, the "today" of the ledger.
        clients_truth: the latent per-client parameters the invoices were drawn from.
    """

    ledger: Ledger
    truth: pd.DataFrame
    end: pd.Timestamp
    clients_truth: pd.DataFrame = field(default_factory=pd.DataFrame)


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


TENDENCY_CENTRE = 0.5
TENDENCY_SD = 1.1
PUBLIC_SLOWER = 0.8
KEY_ACCOUNT_SLOWER = 0.3
"""A client's base on-time log-odds: drawn around ``TENDENCY_CENTRE`` (spread
``TENDENCY_SD``), lower for public buyers and key accounts (see :func:`tendency_mean`)."""


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


# --- clients -------------------------------------------------------------------------


@dataclass
class _Clients:
    """Drawn client attributes and latent behaviour, one entry per client."""

    ids: npt.NDArray[np.str_]
    names: npt.NDArray[np.str_]
    country: IntArray
    sector: npt.NDArray[np.str_]
    public: BoolArray
    segment: IntArray
    created: IntArray
    terms: IntArray
    credit_limit_cents: IntArray
    channel: IntArray
    rate: FloatArray
    scale_eur: FloatArray
    amount_sigma: FloatArray
    month_end_billing: BoolArray
    calendar: IntArray
    on_time_logit: FloatArray
    late_scale: FloatArray
    late_shape: FloatArray
    early_days: FloatArray
    dispute_propensity: FloatArray
    default_day: IntArray
    drift_start: IntArray
    drift_slope: FloatArray
    uses_advances: BoolArray


def _draw_clients(
    cfg: SimulationConfig, rng: np.random.Generator, start: int, end: int
) -> _Clients:
    """Clients with their observable attributes and their latent payment behaviour."""
    n = cfg.n_clients
    window = end - start + 1
    width = max(5, len(str(n)))
    ids = np.char.add("C", np.char.zfill(np.arange(1, n + 1).astype(str), width))

    public = rng.random(n) < cfg.public_share
    segment = rng.choice(len(_SEGMENTS), size=n, p=_SEGMENT_P)
    segment = np.where(public, 1, segment)  # public buyers are mid-market in size
    country = rng.choice(len(_COUNTRIES), size=n, p=_COUNTRY_P)
    country = np.where(public, np.where(rng.random(n) < 0.95, 0, 1), country)

    priv = rng.choice(len(_PRIVATE_SECTORS), size=n, p=[s[2] for s in _PRIVATE_SECTORS])
    pub = rng.choice(len(_PUBLIC_SECTORS), size=n, p=[s[2] for s in _PUBLIC_SECTORS])
    sector = np.where(
        public,
        np.array([s[0] for s in _PUBLIC_SECTORS])[pub],
        np.array([s[0] for s in _PRIVATE_SECTORS])[priv],
    )
    sector_delay = np.where(
        public,
        np.array([s[1] for s in _PUBLIC_SECTORS])[pub],
        np.array([s[1] for s in _PRIVATE_SECTORS])[priv],
    )
    surname = _SURNAMES[rng.integers(0, len(_SURNAMES), n)]
    second = _SURNAMES[rng.integers(0, len(_SURNAMES), n)]
    surname = np.where(rng.random(n) < 0.3, np.char.add(np.char.add(surname, "-"), second), surname)
    private_name = np.char.add(
        np.char.add(surname, " "), np.array([s[3] for s in _PRIVATE_SECTORS])[priv]
    )
    private_name = np.char.add(np.char.add(private_name, " "), np.array(_LEGAL_FORMS)[country])
    public_name = np.char.add(
        np.array([s[3] + " " for s in _PUBLIC_SECTORS])[pub],
        _CITIES[rng.integers(0, len(_CITIES), n)],
    )
    names = np.where(public, public_name, private_name)

    # Relationship start: most clients predate the window, some join during it.
    old = rng.random(n) < 0.7
    created = np.where(
        old,
        start - rng.integers(30, 15 * 365, n),
        start + (rng.random(n) * 0.85 * window).astype(np.int64),
    )
    foreign = country != 0
    terms = rng.choice(np.array([30, 45, 60]), size=n, p=[0.45, 0.30, 0.25])
    terms = np.where(foreign, rng.choice(np.array([30, 60]), size=n), terms)
    hospital = public & (sector == "santé publique")
    terms = np.where(public, np.where(hospital, 60, 30), terms)

    rate = cfg.invoices_per_month * np.exp(rng.normal(0.0, 0.6, n)) * _SEGMENT_RATE[segment]
    rate = np.clip(rate, 0.1, 40.0)
    scale_eur = 1500.0 * np.exp(rng.normal(0.0, 0.9, n)) * _SEGMENT_SCALE[segment]
    amount_sigma = rng.uniform(0.3, 0.9, n)
    monthly = rate * scale_eur * np.where(foreign, 1.0, 1.2)
    limit_eur = np.maximum(1000.0, np.round(monthly * rng.uniform(1.5, 4.0, n) / 1000.0) * 1000.0)

    channel_p = np.where(
        (segment == 0)[:, None],
        np.array([0.7, 0.25, 0.05]),
        np.where(public[:, None], np.array([0.85, 0.05, 0.10]), np.array([0.1, 0.7, 0.2])),
    )
    channel = (rng.random(n)[:, None] > np.cumsum(channel_p, axis=1)[:, :-1]).sum(axis=1)

    calendar = rng.choice(len(PAY_CALENDARS), size=n, p=[0.55, 0.25, 0.10, 0.10])
    calendar = np.where(public, rng.choice(3, size=n, p=[0.8, 0.1, 0.1]), calendar)
    early_days = rng.uniform(0.5, 8.0, n)

    on_time_logit = (
        rng.normal(TENDENCY_CENTRE, TENDENCY_SD, n)
        - PUBLIC_SLOWER * public
        - KEY_ACCOUNT_SLOWER * (segment == 0)
    )
    late_scale = (
        10.0
        * np.exp(rng.normal(0.0, 0.5, n))
        * sector_delay
        * _COUNTRY_DELAY[country]
        * np.where(public, 1.8, 1.0)
    )
    late_shape = rng.uniform(1.3, 3.0, n)
    dispute_propensity = np.exp(rng.normal(-0.18, 0.6, n))

    defaults = rng.random(n) < cfg.default_rate
    default_day = np.where(
        defaults,
        np.maximum(start + rng.integers(180, max(window + 90, 181), n), created + 180),
        _NEVER,
    )
    drifts = defaults | (rng.random(n) < cfg.deterioration_rate)
    drift_start = np.where(
        defaults,
        default_day - rng.integers(120, 365, n),
        start + rng.integers(0, max(window, 1), n),
    )
    drift_slope = np.where(
        drifts, np.where(defaults, rng.uniform(0.10, 0.25, n), rng.uniform(0.03, 0.12, n)), 0.0
    )
    drift_start = np.where(drifts, drift_start, _NEVER)
    btp = sector == "btp"
    uses_advances = rng.random(n) < cfg.advance_rate * np.where(btp, 2.0, 1.0)
    return _Clients(
        ids=ids,
        names=names,
        country=country,
        sector=sector,
        public=public,
        segment=segment,
        created=created.astype(np.int64),
        terms=terms.astype(np.int64),
        credit_limit_cents=(limit_eur * 100).astype(np.int64),
        channel=channel.astype(np.int64),
        rate=rate,
        scale_eur=scale_eur,
        amount_sigma=amount_sigma,
        month_end_billing=rng.random(n) < 0.35,
        calendar=calendar.astype(np.int64),
        on_time_logit=on_time_logit,
        late_scale=late_scale,
        late_shape=late_shape,
        early_days=early_days,
        dispute_propensity=dispute_propensity,
        default_day=default_day.astype(np.int64),
        drift_start=drift_start.astype(np.int64),
        drift_slope=drift_slope,
        uses_advances=uses_advances,
    )


# --- one month of invoices -----------------------------------------------------------


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


def _simulate_month(
    cfg: SimulationConfig,
    rng: np.random.Generator,
    cl: _Clients,
    month: int,
    end: int,
    first_index: int,
) -> _Chunk:
    """Invoices issued in ``month`` and everything that follows from them up to ``end``."""
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

    due = _due_days(issue, cl.terms[client])
    own_channel = rng.random(n) < 0.9
    channel = np.where(own_channel, cl.channel[client], rng.integers(0, 3, n))
    disputed = rng.random(n) < np.minimum(
        0.5, cfg.dispute_rate * cl.dispute_propensity[client] * np.where(channel == 2, 1.5, 1.0)
    )

    # The invoice's payment-time distribution, from what is known at issue.
    slow_issue = np.isin(month_of_year(issue), _SLOW_MONTHS)
    slow_due = np.isin(month_of_year(due), _SLOW_MONTHS)
    relative = np.log(ht / cl.scale_eur[client])
    drift_months = np.clip((issue - cl.drift_start[client]) / _DAYS_PER_MONTH, 0.0, 24.0)
    drift = cl.drift_slope[client] * drift_months
    logit = (
        cl.on_time_logit[client]
        - 0.3 * slow_issue
        - 0.6 * slow_due
        - 0.1 * relative
        - 1.5 * drift
        - 0.25 * (channel == 2)
        + 0.2 * (channel == 0)
        - 3.0 * disputed
    )
    q = _sigmoid(logit)
    log_scale = (
        np.log(cl.late_scale[client])
        + np.log(1.3) * slow_issue
        + np.log(1.5) * slow_due
        + 0.1 * relative
        + drift
        + np.log(1.15) * (channel == 2)
        + np.log(4.0) * disputed
    )
    scale = np.exp(log_scale)
    shape = cl.late_shape[client]
    eur = amount / 100.0
    plan = np.where(
        disputed,
        _PLAN_NAMES.index("disputed"),
        np.where(
            cl.public[client],
            _PLAN_NAMES.index("public"),
            np.where(
                eur < 1_000,
                _PLAN_NAMES.index("small"),
                np.where(eur >= 10_000, _PLAN_NAMES.index("large"), _PLAN_NAMES.index("standard")),
            ),
        ),
    ).astype(np.int64)
    calendar = cl.calendar[client]
    default_day = cl.default_day[client]
    anchor = _anchor(issue, due, calendar)
    # An on-time payment never comes before the day after issue.
    early = np.clip(cl.early_days[client], 0.5, np.maximum(anchor - issue - 1, 0.5))

    # Draw the payment: intention, dunning, payment calendar, default.
    u = rng.random(n)
    on_time = rng.random(n) < q
    late = scale * np.power(u / (1.0 - u), 1.0 / shape)
    x = np.where(on_time, -u * early, np.clip(late, 1e-9, _MAX_DELAY_DAYS))
    offset = np.ceil(_dun(x, plan, due - anchor)).astype(np.int64)
    drawn = _next_pay_day(anchor + offset, calendar)
    never = drawn > default_day
    drawn = np.where(never, _NEVER, drawn)
    paid = drawn <= end
    written_off = never & (default_day + cfg.write_off_lag_days <= end)

    # Truth: bucket probabilities from the closed-form CDF.
    def cdf(day: IntArray) -> FloatArray:
        return _paid_by_day(day, anchor, due, q, early, scale, shape, plan, calendar, default_day)

    f_due, f_30, f_60, f_90 = cdf(due), cdf(due + 30), cdf(due + 60), cdf(due + 90)
    p_never = np.where(default_day < _NEVER, 1.0 - cdf(default_day), 0.0)
    inv = first_index + np.arange(n, dtype=np.int64)
    invoices = {
        "inv": inv,
        "client": client,
        "issue": issue,
        "due": due,
        "amount": amount,
        "channel": channel,
        "disputed": disputed,
        "paid_day": np.where(paid, drawn, _NEVER),
        "written_off": written_off,
        "q": q,
        "early": early,
        "scale": scale,
        "shape": shape,
        "plan": plan,
        "calendar": calendar,
        "default_day": default_day,
        "drawn": drawn,
        "p_on_time": f_due,
        "p_1_30": f_30 - f_due,
        "p_31_60": f_60 - f_30,
        "p_61_90": f_90 - f_60,
        "p_over_90": 1.0 - f_90,
        "p_never_paid": p_never,
    }

    # Credit notes: a partial credit before settlement, on invoices that get paid.
    cn_rate = np.where(disputed, np.minimum(0.6, 10 * cfg.credit_note_rate), cfg.credit_note_rate)
    credited = ~never & (rng.random(n) < cn_rate)
    span = np.maximum(np.minimum(30, drawn - issue - 1), 1)
    cn_day = issue + 1 + (rng.random(n) * span).astype(np.int64)
    cn_amount = np.maximum(1, np.round(rng.uniform(0.05, 0.5, n) * amount)).astype(np.int64)
    cn_amount = np.where(credited, cn_amount, 0)
    written_cn = credited & (cn_day <= end)
    credit_notes = {
        "inv": inv[written_cn],
        "client": client[written_cn],
        "issue": cn_day[written_cn],
        "amount": cn_amount[written_cn],
        "channel": channel[written_cn],
        "paid_day": invoices["paid_day"][written_cn],
    }

    # Payments: the last one on the drawn date, a first instalment for some.
    payable = amount - cn_amount
    partial = ~never & (payable >= 2) & (rng.random(n) < cfg.partial_payment_rate)
    lo = np.maximum(issue + 1, np.minimum(due - 10, drawn - 1))
    instalment_day = lo + (rng.random(n) * np.maximum(drawn - lo, 1)).astype(np.int64)
    instalment_day = np.minimum(_next_pay_day(instalment_day, np.zeros(n, dtype=np.int64)), drawn)
    first_amount = np.clip(np.round(rng.uniform(0.3, 0.7, n) * payable), 1, payable - 1)
    first_amount = np.where(partial, first_amount, 0).astype(np.int64)
    write_first = partial & (instalment_day <= end)
    payments = {
        "inv": np.concatenate([inv[write_first], inv[paid]]),
        "client": np.concatenate([client[write_first], client[paid]]),
        "day": np.concatenate([instalment_day[write_first], drawn[paid]]),
        "amount": np.concatenate([first_amount[write_first], (payable - first_amount)[paid]]),
        "partial": np.concatenate(
            [np.ones(int(write_first.sum()), bool), np.zeros(int(paid.sum()), bool)]
        ),
    }

    actions = _dunning_actions(rng, inv, due, drawn, plan, disputed, end)
    advances = _advances(rng, cl, client, issue, amount)
    return _Chunk(invoices, credit_notes, payments, actions, advances)


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


# --- assembling the ledger -----------------------------------------------------------
# Text columns are built as pandas strings (pyarrow-backed in pandas 3): the distinct
# values once, then ``take`` by code, which is much faster and smaller than numpy text.


def _vocab(values: npt.ArrayLike) -> pd.Series:
    """Distinct text values as a pandas string column, to ``_take`` from."""
    return pd.Series(np.asarray(values, dtype=object), dtype="str")


def _take(values: pd.Series, codes: IntArray) -> pd.Series:
    """``values[codes]`` as a fresh column; code ``-1`` gives a missing value."""
    return pd.Series(values.array.take(codes, allow_fill=True))


def _ids(prefix: str, count: int, width: int) -> pd.Series:
    """``prefix`` + zero-padded numbers 1 .. count: ``F0000001``."""
    width = max(width, len(str(count)))
    return prefix + pd.Series(np.arange(1, count + 1)).astype("str").str.zfill(width)


def _dates(days: IntArray) -> pd.Series:
    """Day numbers as ``datetime64[ns]`` at midnight; ``_NEVER`` becomes NaT."""
    return pd.Series(dates_of(days, int(_NEVER)), dtype="datetime64[ns]")


def _statement_name(name: str) -> str:
    """A name as a bank statement prints it: upper case, no accents."""
    return name.upper().translate(str.maketrans("ÀÂÄÇÉÈÊËÎÏÔÖÙÛÜ'", "AAACEEEEIIOOUUU "))


def _concat(chunks: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {key: np.concatenate([c[key] for c in chunks]) for key in chunks[0]}


def _sorted(rows: dict[str, np.ndarray], *keys: str) -> dict[str, np.ndarray]:
    """Rows ordered by ``keys`` (the first key first)."""
    order = np.lexsort(tuple(rows[k] for k in reversed(keys)))
    return {k: v[order] for k, v in rows.items()}


def _payment_references(
    rng: np.random.Generator, invoice_ids: pd.Series, names: pd.Series, partial: BoolArray
) -> pd.Series:
    """Bank-statement texts, from a clean ``VIR SEPA FAC F0000123`` to no reference at all."""
    kind = rng.choice(5, size=len(invoice_ids), p=[0.55, 0.15, 0.10, 0.10, 0.10])
    kind = np.where(partial, 5, kind)
    formats: list[Callable[[pd.Series, pd.Series], pd.Series]] = [
        lambda ids, _: "VIR SEPA FAC " + ids,
        lambda ids, who: "VIR " + who + " REF " + ids,
        lambda ids, _: "REGLEMENT FACTURE " + ids.str.lstrip("F0"),
        lambda _, who: "VIR SEPA " + who,
        lambda ids, _: "LCR ECH " + ids,
        lambda ids, _: "VIR SEPA FAC " + ids + " PARTIEL",
    ]
    order = np.argsort(kind, kind="stable")
    bounds = np.searchsorted(kind[order], np.arange(len(formats) + 1))
    pieces = []
    for k, fmt in enumerate(formats):
        rows = order[bounds[k] : bounds[k + 1]]
        pieces.append(fmt(invoice_ids.take(rows), names.take(rows)))
    texts = pd.concat(pieces, ignore_index=True)
    return _take(texts, np.argsort(order))


def _unbilled(
    rng: np.random.Generator, cfg: SimulationConfig, cl: _Clients, end: int, client_ids: pd.Series
) -> pd.DataFrame:
    """Deliveries of the last weeks not yet invoiced at the end (factures à émettre)."""
    active = (cl.created <= end - 30) & (cl.default_day > end)
    take = np.flatnonzero(active & (rng.random(len(cl.ids)) < cfg.unbilled_rate))
    m = len(take)
    delivered = end - rng.integers(0, 31, m)
    expected = delivered + rng.integers(3, 31, m)
    ht = cl.scale_eur[take] * np.exp(cl.amount_sigma[take] * rng.normal(0.0, 1.0, m))
    cents = np.maximum(100, np.round(ht * 100 * np.where(cl.country[take] == 0, 1.2, 1.0)))
    return pd.DataFrame(
        {
            "client_id": _take(client_ids, take),
            "delivered_date": _dates(np.where(rng.random(m) < 0.1, _NEVER, delivered)),
            "expected_issue_date": _dates(expected),
            "amount_cents": cents.astype(np.int64),
            "currency": DEFAULT_CURRENCY,
        },
        columns=UNBILLED.memory_names,
    )


def _held_advances(rng: np.random.Generator, cl: _Clients, end: int) -> dict[str, np.ndarray]:
    """Advances received in the last two months for invoices not issued yet."""
    active = (cl.created <= end - 60) & (cl.default_day > end)
    take = np.flatnonzero(active & cl.uses_advances & (rng.random(len(cl.ids)) < 0.3))
    m = len(take)
    value = cl.scale_eur[take] * rng.uniform(0.2, 0.6, m) * 100
    return {
        "client": take.astype(np.int64),
        "received": (end - rng.integers(0, 61, m)).astype(np.int64),
        "amount": np.maximum(100, np.round(value)).astype(np.int64),
        "applied": np.full(m, _NEVER, dtype=np.int64),
    }


def _begin(config: SimulationConfig) -> tuple[np.random.Generator, int, int, _Clients]:
    """The random generator, the first month and last day of the window, and the clients."""
    if config.n_clients < 1 or config.n_months < 1:
        raise ValueError("n_clients and n_months must be at least 1")
    rng = np.random.default_rng(config.seed)
    first_month = (config.start.year - 1970) * 12 + config.start.month - 1
    start = int(month_start(np.array([first_month]))[0])
    end = int(month_start(np.array([first_month + config.n_months]))[0]) - 1
    return rng, first_month, end, _draw_clients(config, rng, start, end)


def expected_invoices(config: SimulationConfig) -> float:
    """About how many invoices (credit notes aside) :func:`simulate` issues for ``config``.

    Draws only the clients, as :func:`simulate` does, so it is cheap: used to choose
    ``n_clients`` for a target ledger size.
    """
    _, first_month, _, cl = _begin(config)
    months = np.arange(first_month, first_month + config.n_months + 1, dtype=np.int64)
    bounds = month_start(months)
    total = 0.0
    for i in range(config.n_months):
        first, last = bounds[i], bounds[i + 1] - 1
        open_days = np.minimum(last, cl.default_day - 1) - np.maximum(first, cl.created) + 1
        share = np.clip(open_days / (last - first + 1), 0.0, 1.0)
        total += float((cl.rate * _SEASON[months[i] % 12] * share).sum())
    return total


def simulate(config: SimulationConfig, progress: Callable[[int], None] | None = None) -> Simulation:
    """Simulate a receivables ledger and the truth it was drawn from.

    Args:
        config: what to simulate; the same config gives the same result.
        progress: called after each simulated month with the number of months done.

    Returns:
        The ledger (contract frames, money in cents), the truth per invoice and the
        last day of the window.
    """
    rng, first_month, end, cl = _begin(config)

    chunks: list[_Chunk] = []
    done = 0
    for i in range(config.n_months):
        chunk = _simulate_month(config, rng, cl, first_month + i, end, done)
        done += len(chunk.invoices["inv"])
        chunks.append(chunk)
        if progress is not None:
            progress(i + 1)

    client_ids = _vocab(cl.ids)
    inv = _concat([c.invoices for c in chunks])
    n = len(inv["inv"])
    invoice_ids = _ids("F", n, 7)
    cn = _sorted(_concat([c.credit_notes for c in chunks]), "issue", "inv")
    m = len(cn["inv"])

    # Invoices and credit notes together, in order of issue.
    issue = np.concatenate([inv["issue"], cn["issue"]])
    order = np.argsort(issue, kind="stable")
    is_note = order >= n

    def pick(invoice_values: np.ndarray, note_values: np.ndarray) -> np.ndarray:
        out = np.empty(len(order), dtype=np.result_type(invoice_values, note_values))
        out[~is_note] = invoice_values[order[~is_note]]
        out[is_note] = note_values[order[is_note] - n]
        return out

    no_notes = np.zeros(m, dtype=bool)

    all_ids = pd.concat([invoice_ids, _ids("AV", m, 7)], ignore_index=True)
    invoices = pd.DataFrame(
        {
            "invoice_id": _take(all_ids, order),
            "client_id": _take(client_ids, pick(inv["client"], cn["client"])),
            "issue_date": _dates(issue[order]),
            "due_date": _dates(pick(inv["due"], cn["issue"])),
            "amount_cents": pick(inv["amount"], cn["amount"]).astype(np.int64),
            "currency": _take(_vocab([DEFAULT_CURRENCY]), np.zeros(n + m, dtype=np.int64)),
            "doc_type": _take(_vocab(DOC_TYPES), is_note.astype(np.int64)),
            "disputed": pick(inv["disputed"], no_notes),
            "paid_date": _dates(pick(inv["paid_day"], cn["paid_day"])),
            "written_off": pick(inv["written_off"], no_notes),
            "credited_invoice_id": _take(invoice_ids, pick(np.full(n, -1), cn["inv"])),
            "doubtful_date": pd.Series(pd.NaT, index=range(n + m), dtype="datetime64[ns]"),
            "reference": np.full(n + m, None, dtype=object),
            "x_channel": _take(_vocab(_CHANNELS), pick(inv["channel"], cn["channel"])),
        },
        columns=[*INVOICES.memory_names, "x_channel"],
    )

    pay = _sorted(_concat([c.payments for c in chunks]), "day", "inv")
    pay_invoice_ids = _take(invoice_ids, pay["inv"])
    names = _vocab([_statement_name(name) for name in cl.names.tolist()])
    payments = pd.DataFrame(
        {
            "payment_id": _ids("P", len(pay["inv"]), 7),
            "client_id": _take(client_ids, pay["client"]),
            "payment_date": _dates(pay["day"]),
            "amount_cents": pay["amount"].astype(np.int64),
            "currency": DEFAULT_CURRENCY,
            "reference": _payment_references(
                rng, pay_invoice_ids, _take(names, pay["client"]), pay["partial"]
            ),
            "invoice_id": pay_invoice_ids,
        },
        columns=PAYMENTS.memory_names,
    )

    act = _sorted(_concat([c.actions for c in chunks]), "day", "inv")
    actions = pd.DataFrame(
        {
            "invoice_id": _take(invoice_ids, act["inv"]),
            "action_date": _dates(act["day"]),
            "channel": _take(_vocab(CHANNELS), act["channel"]),
            "outcome": _take(_vocab(OUTCOMES), act["outcome"]),
            "promised_date": _dates(act["promised"]),
        },
        columns=ACTIONS.memory_names,
    )

    adv = _concat([*(c.advances for c in chunks), _held_advances(rng, cl, end)])
    adv = _sorted(adv, "received", "client")
    order_numbers = rng.integers(100_000, 1_000_000, len(adv["client"]))
    advances = pd.DataFrame(
        {
            "client_id": _take(client_ids, adv["client"]),
            "received_date": _dates(adv["received"]),
            "amount_cents": adv["amount"].astype(np.int64),
            "currency": DEFAULT_CURRENCY,
            "reference": "ACOMPTE CDE " + pd.Series(order_numbers).astype("str"),
            "applied_date": _dates(adv["applied"]),
        },
        columns=ADVANCES.memory_names,
    )

    every_client = np.arange(len(cl.ids), dtype=np.int64)
    clients = pd.DataFrame(
        {
            "client_id": client_ids,
            "name": _vocab(cl.names),
            "country": _take(_vocab(_COUNTRIES), cl.country),
            "sector": _vocab(cl.sector),
            "is_public_sector": cl.public.astype(bool),
            "created_on": _dates(cl.created),
            "payment_terms_days": cl.terms.astype(np.int64),
            "credit_limit_cents": cl.credit_limit_cents.astype(np.int64),
            "x_segment": _take(_vocab(_SEGMENTS), cl.segment),
        },
        columns=[*CLIENTS.memory_names, "x_segment"],
    )

    truth = pd.DataFrame(
        {
            "invoice_id": invoice_ids,
            "client_id": _take(client_ids, inv["client"]),
            "issue_date": _dates(inv["issue"]),
            "due_date": _dates(inv["due"]),
            "on_time_prob": inv["q"],
            "early_days": inv["early"],
            "late_scale": inv["scale"],
            "late_shape": inv["shape"],
            "dunning_plan": _take(_vocab(_PLAN_NAMES), inv["plan"]),
            "pay_calendar": _take(_vocab(PAY_CALENDARS), inv["calendar"]),
            "default_date": _dates(inv["default_day"]),
            "p_late": 1.0 - inv["p_on_time"],
            "p_on_time": inv["p_on_time"],
            "p_1_30": inv["p_1_30"],
            "p_31_60": inv["p_31_60"],
            "p_61_90": inv["p_61_90"],
            "p_over_90": inv["p_over_90"],
            "p_never_paid": inv["p_never_paid"],
            "drawn_paid_date": _dates(inv["drawn"]),
        }
    )
    clients_truth = pd.DataFrame(
        {
            "client_id": _take(client_ids, every_client),
            "invoices_per_month": cl.rate,
            "amount_scale_eur": cl.scale_eur,
            "amount_sigma": cl.amount_sigma,
            "month_end_billing": cl.month_end_billing,
            "pay_calendar": _take(_vocab(PAY_CALENDARS), cl.calendar),
            "on_time_logit": cl.on_time_logit,
            "late_scale": cl.late_scale,
            "late_shape": cl.late_shape,
            "early_days": cl.early_days,
            "dispute_propensity": cl.dispute_propensity,
            "drift_start": _dates(cl.drift_start),
            "drift_slope_per_month": cl.drift_slope,
            "default_date": _dates(cl.default_day),
            "uses_advances": cl.uses_advances,
        }
    )
    ledger = Ledger(
        clients=clients,
        invoices=invoices,
        payments=payments,
        advances=advances,
        unbilled=_unbilled(rng, config, cl, end, client_ids),
        actions=actions,
        effets=empty_frame(EFFETS).astype({"amount_cents": np.int64}),  # no bills simulated
    )
    end_stamp = pd.Timestamp(np.datetime64(end, "D")).as_unit("ns")
    return Simulation(ledger=ledger, truth=truth, end=end_stamp, clients_truth=clients_truth)


def write_simulation(sim: Simulation, out_dir: Path, fmt: FileFormat = "csv") -> list[Path]:
    """Write the ledger as contract files and the truth apart, under ``out_dir / "truth"``.

    Returns:
        The paths written: the ledger tables, then ``truth/invoices.<fmt>`` and
        ``truth/clients.<fmt>``.
    """
    written = write_ledger(sim.ledger, out_dir, fmt)
    truth_dir = out_dir / "truth"
    truth_dir.mkdir(parents=True, exist_ok=True)
    for name, frame in (("invoices", sim.truth), ("clients", sim.clients_truth)):
        path = truth_dir / f"{name}.{fmt}"
        table = frame.copy()
        for col in table.columns:
            if pd.api.types.is_datetime64_any_dtype(table[col]):
                table[col] = table[col].dt.strftime("%Y-%m-%d")
        if fmt == "csv":
            table.to_csv(path, index=False)
        else:
            table.to_parquet(path, index=False)
        written.append(path)
    return written
