"""The payment-time model: a discrete-time hazard model with open invoices as censored rows.

Time is counted in days from the due date (the *offset*), cut into periods at
:data:`EDGES`. Each invoice gives one row per period it was at risk in: from the period
of its issue date up to the period it was paid in (event) or, while still open, up to
the last period wholly observed (censored: no event, and no row for the period running
at the cut-off). LightGBM learns the hazard, P(paid in period k | unpaid at its start),
from the invoice's features and the period. Survival to any offset is the product of
``1 - hazard`` up to it, linear within a period; from it come P(paid by any date), the
bucket probabilities, the expected payment date and the P10 / P50 / P90 dates, also
conditional on being still open at a later date (an open invoice seen today).

The P10-P90 band is read at levels recalibrated out of time (:func:`band_levels`): the
hazard's curves are a little too spread, and their 10th-90th percentiles held 85 % of the
payments of simulated ledgers (1,000 clients, seeds 1-3: 85.8, 85.2, 84.7 %). A model
fitted on the training invoices issued up to six months before the last learns which
levels ``(q, 1 - q)`` hold 80 % of the later invoices' payments; nothing of the test
period is used. On those ledgers the band then held 78.9, 79.4 and 77.1 % (q = 0.135,
0.13, 0.14, where 0.125-0.13 would have been right: the held-back model, fitted on less,
is a little less sure than the served one), and 72-74 % for clients unseen in training
(78-81 % before): new clients are less predictable than the rest.

Dropping the open invoices instead keeps only those paid quickly enough to be paid by
the cut-off and biases every distribution toward fast payment: see
:func:`training.evaluation.censoring_check`, which measures both against the truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

import numpy as np
import pandas as pd

from ledger.days import NEVER, dates_of, day_numbers
from training.booster_fit import fitted_booster
from training.booster_input import BoosterInput, FittedBooster, threads_for
from training.payment_days import ClientDaysModel
from training.targets import BUCKET_EDGES

EDGES = np.array(
    [-30, -14, -7, -3, 0, 3, 7, 14, 21, 30, 45, 60, 75, 90, 120, 150, 180, 240, 365],
    dtype="int64",
)
"""Period ends in days from the due date: period k covers offsets (EDGES[k-1], EDGES[k]]."""
HORIZON = int(EDGES[-1])
"""Offsets beyond this are "not paid within a year of the due date" (censored at it)."""
N_PERIODS = len(EDGES)
PREDICT_CHUNK_ROWS = 200_000
"""Invoice × period rows predicted at a time: about 100 MB of rows at 60 features."""
Dates = pd.Series | np.ndarray
"""Dates of invoices: a pandas column, or a ``datetime64`` array (no Series to build online)."""
PERIOD_COLUMNS = ("period", "period_days_after_issue")

DEFAULT_PARAMS: dict[str, object] = {
    "n_estimators": 200,
    "learning_rate": 0.08,
    "num_leaves": 31,
    "max_depth": 8,
    "min_child_samples": 50,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.9,
    "random_state": 42,
    "verbosity": -1,
    "n_jobs": 2,
}


def period_of(offset: np.ndarray) -> np.ndarray:
    """Index of the period holding each offset; ``N_PERIODS`` past the horizon."""
    return np.searchsorted(EDGES, offset, side="left")


def last_full_period(offset: np.ndarray) -> np.ndarray:
    """Last period wholly observed by an offset (-1 when none)."""
    return np.searchsorted(EDGES, offset, side="right") - 1


def period_rows(x: pd.DataFrame, durations: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The invoice × period rows at risk, with their event flags.

    ``durations`` has ``offset``, ``paid`` and ``start`` per invoice (see
    :func:`training.targets.payment_durations`).
    """
    offset = durations["offset"].to_numpy()
    paid = durations["paid"].to_numpy(dtype=bool)
    start = durations["start"].to_numpy()
    first = period_of(start)
    event_period = period_of(offset)
    paid_in_horizon = paid & (event_period < N_PERIODS)
    last = np.where(paid_in_horizon, event_period, last_full_period(np.minimum(offset, HORIZON)))
    counts = np.maximum(last - first + 1, 0)
    owner = np.repeat(np.arange(len(x)), counts)
    steps = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    period = first[owner] + steps
    event = paid_in_horizon[owner] & (period == last[owner])
    rows = _with_period(x.iloc[owner].reset_index(drop=True), period, start[owner])
    return rows, event.astype("int8")


def _with_period(x: pd.DataFrame, period: np.ndarray, start: np.ndarray) -> pd.DataFrame:
    return x.assign(
        period=period.astype("float64"),
        period_days_after_issue=(EDGES[period] - start).astype("float64"),
    )


@dataclass(frozen=True)
class PaymentDistribution:
    """Survival curves of invoices: piecewise linear through ``knots`` (offsets).

    ``survival[i, j]`` is P(not paid by offset ``knots[i, j]``), conditional on being
    open at ``knots[i, 0]``; ``due_day`` converts offsets to dates (days since 1970).
    """

    knots: np.ndarray
    survival: np.ndarray
    due_day: np.ndarray
    issue_offset: np.ndarray
    band_levels: tuple[float, float] = (0.1, 0.9)
    """Probability levels of the P10 / P90 band's ends, as recalibrated on held-back
    training data so that the band holds 80 % of payments (see :func:`band_levels`)."""

    def band(self) -> tuple[np.ndarray, np.ndarray]:
        """Offsets of the P10 and P90 ends of the 80 % band (NaN past the horizon)."""
        return self.quantile(self.band_levels[0]), self.quantile(self.band_levels[1])

    def survival_at(self, offset: np.ndarray) -> np.ndarray:
        """P(not paid by ``offset``) (clipped to the curve): one offset per invoice, or a
        row of offsets per invoice (a matrix, answered alike)."""
        one = np.ndim(offset) == 1
        x = np.asarray(offset, dtype="float64")
        x = np.clip(x[:, None] if one else x, self.knots[:, :1], self.knots[:, -1:])
        last = self.knots.shape[1] - 1
        hi = np.minimum((self.knots[:, None, :] <= x[:, :, None]).sum(axis=2), last)
        lo = np.maximum(hi - 1, 0)
        x0, x1 = (np.take_along_axis(self.knots, i, axis=1) for i in (lo, hi))
        y0, y1 = (np.take_along_axis(self.survival, i, axis=1) for i in (lo, hi))
        width = np.where(x1 > x0, x1 - x0, 1.0)
        out = np.where(x1 > x0, y0 + (y1 - y0) * (x - x0) / width, y1)
        return out[:, 0] if one else out

    def paid_by(self, offset: np.ndarray) -> np.ndarray:
        """P(paid by ``offset`` days after the due date)."""
        return 1.0 - self.survival_at(offset)

    def quantile(self, q: float) -> np.ndarray:
        """Offset by which the invoice is paid with probability ``q``; NaN past the horizon."""
        cdf = 1.0 - self.survival
        reached = cdf >= q - 1e-12
        hi = reached.argmax(axis=1)
        ok = reached.any(axis=1)
        lo = np.maximum(hi - 1, 0)
        rows = np.arange(len(hi))
        x0, x1 = self.knots[rows, lo], self.knots[rows, hi]
        f0, f1 = cdf[rows, lo], cdf[rows, hi]
        frac = np.where(f1 > f0, (q - f0) / np.where(f1 > f0, f1 - f0, 1.0), 1.0)
        out = np.ceil(x0 + np.clip(frac, 0, 1) * (x1 - x0))
        return np.where(ok, np.maximum(out, self.knots[:, 0] + 1), np.nan)

    def expected_offset(self) -> np.ndarray:
        """Mean payment offset among payments within the horizon (NaN when none is likely)."""
        mass = self.survival[:, :-1] - self.survival[:, 1:]
        middle = (self.knots[:, :-1] + self.knots[:, 1:] + 1) / 2
        total = mass.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 1e-9, (mass * middle).sum(axis=1) / total, np.nan)

    def bucket_probabilities(self) -> np.ndarray:
        """P(on_time), P(1_30), P(31_60), P(61_90), P(over_90 or never), one row per invoice."""
        edges = np.asarray(BUCKET_EDGES, dtype="float64")
        cdf = self.paid_by(np.broadcast_to(edges, (len(self.knots), len(edges))))
        return np.diff(np.column_stack([np.zeros(len(cdf)), cdf, np.ones(len(cdf))]), axis=1)

    def days(self, offset: np.ndarray) -> np.ndarray:
        """Days of offsets as ``datetime64[D]`` (NaT where NaN)."""
        day = self.due_day + np.nan_to_num(offset, nan=0).astype("int64")
        return dates_of(np.where(np.isnan(offset), NEVER, day), unit="D")

    def dates(self, offset: np.ndarray) -> pd.Series:
        """Dates of offsets (NaT where NaN)."""
        return pd.Series(self.days(offset).astype("datetime64[ns]"))


class TimeModel(Protocol):
    """What the worklist and the forecast need of a payment-time model."""

    def distribution(
        self,
        x: pd.DataFrame,
        issue_date: Dates,
        due_date: Dates,
        open_at: Dates | None = None,
        until: Dates | None = None,
        clients: np.ndarray | None = None,
    ) -> PaymentDistribution:
        """Payment-date distributions of invoices of ``clients``, conditional on being open
        before ``open_at``, right up to ``until`` at least."""
        ...


class PaymentTimeModel:
    """Censoring-aware distribution of the payment date, scikit-learn style."""

    def __init__(
        self,
        params: dict[str, object] | None = None,
        max_invoices: int = 100_000,
        held_back_days: int = 183,
    ):
        self.params = params
        self.max_invoices = max_invoices
        self.held_back_days = held_back_days

    def fit(
        self,
        x: pd.DataFrame,
        durations: pd.DataFrame,
        order: pd.Series | None = None,
        clients: pd.Series | None = None,
    ) -> PaymentTimeModel:
        """Learn the hazard per period from invoices paid or still open (censored).

        With ``order`` (the issue dates), two things are learned out of time on the
        invoices issued in the last ``held_back_days`` (:meth:`_held_back`), by a model
        fitted on those before, as known then: with ``clients``, how far to move the curve
        toward the date of a :class:`~training.payment_days.ClientDaysModel` (the weight
        :attr:`days_weight_`, 0 when it does not help); and the band levels that hold 80 %
        of the later invoices' payments (:func:`band_levels`).
        """
        if len(x) > self.max_invoices:  # a seeded sample keeps training time bounded
            keep = np.random.default_rng(42).choice(len(x), self.max_invoices, replace=False)
            keep.sort()
            x, durations = x.iloc[keep], durations.iloc[keep]
            order = None if order is None else order.iloc[keep]
            clients = None if clients is None else clients.iloc[keep]
        who = None if clients is None else clients.astype(str).to_numpy()
        self.booster_: FittedBooster = self._booster(x, durations)
        self.feature_names_in_ = list(x.columns)
        self.band_levels_ = (0.1, 0.9)
        self.days_weight_ = 0.0
        self.days_model_: ClientDaysModel | None = None
        self.days_scores_: dict[float, dict[str, float]] = {}  # by weight, for the report
        if order is not None:
            self.band_levels_, self.days_weight_ = self._held_back(x, durations, order, who)
        if self.days_weight_ > 0 and who is not None:
            self.days_model_ = paid_days_model(x, durations, who)
            self.days_weight_ = self.days_weight_ if self.days_model_ is not None else 0.0
        return self

    def _booster(self, x: pd.DataFrame, durations: pd.DataFrame) -> FittedBooster:
        """The hazard booster fitted on the invoice × period rows of ``x``."""
        rows, event = period_rows(x, durations)
        if event.min(initial=1) == event.max(initial=0):
            raise ValueError("the payment-time model needs both paid and unpaid periods")
        return fitted_booster(dict(self.params or DEFAULT_PARAMS), rows, event)

    def _held_back(
        self, x: pd.DataFrame, durations: pd.DataFrame, order: pd.Series, who: np.ndarray | None
    ) -> tuple[tuple[float, float], float]:
        """Band levels and the days model's weight, learned on the last ``held_back_days``
        of issue dates ((0.1, 0.9) and 0 when either side is too small to learn from)."""
        issue = day_numbers(order)
        cutoff = int(issue.max()) + 1 - self.held_back_days
        before = issue < cutoff
        if before.sum() < MIN_BAND_INVOICES or (~before).sum() < MIN_BAND_INVOICES:
            return (0.1, 0.9), 0.0
        inner = censored_at(durations[before], issue[before], cutoff)
        try:
            model = PaymentTimeModel(self.params, self.max_invoices)
            model.booster_ = model._booster(x[before], inner)
        except ValueError:
            return (0.1, 0.9), 0.0
        held = durations[~before]
        start = held["start"].to_numpy()
        matrix = model.booster_input.matrix(x[~before])
        dist = model.distribution_of(matrix, *_issue_and_due(start, issue[~before]))
        weight = 0.0
        days_model = None if who is None else paid_days_model(x[before], inner, who[before])
        if days_model is not None and who is not None:
            toward = days_toward(dist, days_model.predict_of(matrix, who[~before]))
            self.days_scores_ = weight_scores(dist, toward, held, inner)
            weight = days_weight(self.days_scores_)
            dist = shifted(dist, weight * toward)
        offset, paid = held["offset"].to_numpy(), held["paid"].to_numpy(dtype=bool)
        return band_levels(dist, offset, paid), weight

    def hazards(
        self,
        matrix: np.ndarray,
        start: np.ndarray,
        first: np.ndarray | None = None,
        last: np.ndarray | None = None,
    ) -> np.ndarray:
        """Hazard of every period for each invoice (a row of features as
        :attr:`booster_input` reads them): 0 before its issue date's period, before period
        ``first`` and after period ``last`` when given (periods that cannot matter are not
        predicted)."""
        n = len(matrix)
        lowest = period_of(start) if first is None else np.maximum(period_of(start), first)
        highest = N_PERIODS - 1 if last is None else np.minimum(last, N_PERIODS - 1)
        counts = np.maximum(highest - lowest + 1, 0)
        owner = np.repeat(np.arange(n), counts)
        period = (
            lowest[owner] + np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        )
        h = np.zeros((n, N_PERIODS))
        if len(owner):
            h[owner, period] = self._predicted(matrix, owner, period, start[owner], n)
        return h

    def _predicted(
        self, matrix: np.ndarray, owner: np.ndarray, period: np.ndarray, start: np.ndarray, n: int
    ) -> np.ndarray:
        """The booster's hazard of each (invoice ``owner``, ``period``) row, ``start`` the
        invoice's issue offset, read a chunk of :data:`PREDICT_CHUNK_ROWS` at a time.

        The invoice's numbers once, repeated per period, then the period's two columns (as
        _with_period appends them): LightGBM's pandas path would cost ms per call. The rows
        are filled in place in one buffer reused by every chunk: a forecast's 2 million
        rows of 60 features whole are about 1 GB, and a fresh gigabyte costs seconds of
        page faults at each call (measured: 2 s a call at a million invoices).
        """
        k = matrix.shape[1]
        buffer = np.empty((min(len(owner), PREDICT_CHUNK_ROWS), k + 2), dtype="float64")
        out = np.empty(len(owner), dtype="float64")
        booster, threads = self.booster_.booster_, threads_for(n)
        for lo in range(0, len(owner), PREDICT_CHUNK_ROWS):
            hi = min(lo + PREDICT_CHUNK_ROWS, len(owner))
            rows = buffer[: hi - lo]
            # mode="clip": unbuffered (the owners are in range); "raise" copies via a buffer.
            np.take(matrix, owner[lo:hi], axis=0, out=rows[:, :k], mode="clip")
            rows[:, k] = period[lo:hi]
            rows[:, k + 1] = EDGES[period[lo:hi]] - start[lo:hi]
            out[lo:hi] = booster.predict(rows, num_threads=threads)
        return out

    @cached_property
    def booster_input(self) -> BoosterInput:
        """How the booster reads a feature frame (its categorical columns' categories)."""
        return BoosterInput.of(self.booster_.booster_)

    def predict(self, x: pd.DataFrame) -> np.ndarray:
        """Expected days from issue to payment (within the horizon), from the features alone.

        The terms feature (``inv_terms_days``) places the due date; this is what the
        registry's signature and a plain ``pyfunc`` call give.
        """
        terms = x["inv_terms_days"].to_numpy(dtype="float64")
        issue = pd.Series(np.zeros(len(x), dtype="datetime64[D]"))
        due = issue + pd.to_timedelta(np.nan_to_num(terms, nan=30.0), unit="D")
        dist = self.distribution(x, issue, due)
        return dist.expected_offset() - dist.issue_offset

    def distribution(
        self,
        x: pd.DataFrame,
        issue_date: Dates,
        due_date: Dates,
        open_at: Dates | None = None,
        until: Dates | None = None,
        clients: np.ndarray | None = None,
    ) -> PaymentDistribution:
        """Payment-date distributions of invoices (of ``clients``, whose effects the days
        model knows), given unpaid before ``open_at`` if given.

        With ``until``, the distributions are right only up to those dates (nobody pays
        after them): for callers that read nothing later, the later periods are not
        predicted.
        """
        matrix = self.booster_input.matrix(x)
        return self.distribution_of(matrix, issue_date, due_date, open_at, until, clients)

    def distribution_of(
        self,
        matrix: np.ndarray,
        issue_date: Dates,
        due_date: Dates,
        open_at: Dates | None = None,
        until: Dates | None = None,
        clients: np.ndarray | None = None,
    ) -> PaymentDistribution:
        """:meth:`distribution` of features already read by :attr:`booster_input`."""
        due_day = day_numbers(due_date)
        start = day_numbers(issue_date) - due_day
        seen = None
        if open_at is not None:
            seen = np.maximum(day_numbers(open_at) - due_day - 1, start - 1).astype("float64")
        levels = getattr(self, "band_levels_", (0.1, 0.9))
        days_model = getattr(self, "days_model_", None)
        if days_model is not None:  # the whole curve, to move it (none of the savings below)
            dist = curve(self.hazards(matrix, start), due_day, start, levels)
            toward = days_toward(dist, days_model.predict_of(matrix, clients))
            dist = shifted(dist, self.days_weight_ * toward)
        else:
            # Given open at ``seen``, the periods ending by then cancel out of S(t) /
            # S(seen): they are not predicted (a third of the rows of an overdue ledger's
            # forecast); nor those after ``until``.
            last = None if until is None else period_of(day_numbers(until) - due_day)
            h = self.hazards(matrix, start, None if seen is None else period_of(seen), last)
            dist = curve(h, due_day, start, levels)
        if seen is None:
            return dist
        knots = dist.knots
        base = np.maximum(dist.survival_at(seen), np.finfo(np.float64).tiny)  # S(t) / S(seen)
        clipped = np.maximum(knots, seen[:, None])
        cond = dist.survival_at(clipped) / base[:, None]
        return PaymentDistribution(clipped, np.minimum(cond, 1.0), due_day, start, levels)


def curve(
    h: np.ndarray, due_day: np.ndarray, start: np.ndarray, levels: tuple[float, float]
) -> PaymentDistribution:
    """The payment-date distributions of hazards ``h`` (one row of periods per invoice)."""
    surv = np.cumprod(1.0 - h, axis=1)
    knots = np.maximum(EDGES[None, :], (start - 1)[:, None]).astype("float64")
    knots = np.column_stack([start - 1, knots]).astype("float64")
    survival = np.column_stack([np.ones(len(h)), surv])
    return PaymentDistribution(knots, survival, due_day, start, levels)


def days_toward(dist: PaymentDistribution, days: np.ndarray) -> np.ndarray:
    """How many days each curve's mean lies before ``days`` (0 where the curve expects no
    payment within the horizon: nothing to move)."""
    return np.nan_to_num(days - (dist.expected_offset() - dist.issue_offset))


def shifted(dist: PaymentDistribution, days: np.ndarray) -> PaymentDistribution:
    """The curves moved by ``days`` each, never before their issue date: the first knot
    (nothing paid yet) no earlier than the day before it, the others no earlier than it."""
    floor = np.full(dist.knots.shape, 0.0) + dist.issue_offset[:, None]
    floor[:, 0] -= 1
    knots = np.maximum(dist.knots + days[:, None], floor)
    return PaymentDistribution(
        knots, dist.survival, dist.due_day, dist.issue_offset, dist.band_levels
    )


DAYS_WEIGHTS = (0.0, 0.5, 1.0)
"""How far the curve may move toward the days model's date: not, half-way, all the way."""
MIN_GAIN = 0.01
"""A weight other than 0 must lower the held-back integrated Brier score by this share."""
MIN_PAID = 50
"""Fewer paid invoices than this: no days model (too few to learn client effects from)."""


def paid_days_model(
    x: pd.DataFrame, durations: pd.DataFrame, who: np.ndarray
) -> ClientDaysModel | None:
    """The days model fitted on the paid invoices of ``x`` (None when too few are paid)."""
    paid = durations["paid"].to_numpy(dtype=bool)
    if paid.sum() < MIN_PAID:
        return None
    days = (durations["offset"] - durations["start"]).to_numpy(dtype="float64")[paid]
    return ClientDaysModel().fit(x[paid], days, who[paid])


def weight_scores(
    dist: PaymentDistribution, toward: np.ndarray, held: pd.DataFrame, inner: pd.DataFrame
) -> dict[float, dict[str, float]]:
    """Each weight of :data:`DAYS_WEIGHTS` judged on the held-back invoices: the integrated
    Brier score of the moved curves (open invoices counted, censoring estimated on the
    ``inner`` durations the curves were fitted on) and the RMSE of days to pay of those
    paid. None when fewer than :data:`MIN_PAID` are paid."""
    from training.metrics import survival_metrics, survival_times

    paid = held["paid"].to_numpy(dtype=bool)
    if paid.sum() < MIN_PAID:
        return {}
    days = (held["offset"] - held["start"]).to_numpy(dtype="float64")
    inner_days = (inner["offset"] - inner["start"]).to_numpy(dtype="float64")
    inner_paid = inner["paid"].to_numpy(dtype=bool)
    times = survival_times(days, paid, inner_days)
    scores = {}
    for w in DAYS_WEIGHTS:
        moved = shifted(dist, w * toward)
        error = (moved.expected_offset() - moved.issue_offset - days)[paid]
        curves = moved.survival_at(moved.issue_offset[:, None] + times[None, :])
        brier = survival_metrics(
            inner_days, inner_paid, days, paid, curves, times, concordance=False
        )
        scores[w] = {
            "integrated_brier": brier["integrated_brier"],
            "rmse_days": float(np.sqrt(np.nanmean(error**2))),
        }
    return scores


def days_weight(scores: dict[float, dict[str, float]]) -> float:
    """The weight whose moved curves have the lowest held-back integrated Brier score (0
    unless another is :data:`MIN_GAIN` better, or none was measured): the weight moves the
    whole curve, so the whole curve is judged, open invoices included."""
    brier = {
        w: s["integrated_brier"] for w, s in scores.items() if np.isfinite(s["integrated_brier"])
    }
    if 0.0 not in brier:
        return 0.0
    best = min(brier, key=lambda w: brier[w])
    return best if brier[best] < (1 - MIN_GAIN) * brier[0.0] else 0.0


MIN_BAND_INVOICES = 200
"""Fewer invoices on either side of the held-back cut than this: the band keeps 0.1 / 0.9."""
BAND_SHARE = 0.8
"""Share of payments the band should hold: 80 % between P10 and P90."""
LEVELS = np.round(np.arange(0.01, 0.5, 0.005), 3)


def censored_at(durations: pd.DataFrame, issue_day: np.ndarray, cutoff: int) -> pd.DataFrame:
    """``durations`` as known on day ``cutoff`` (days since 1970): a payment on or after it
    becomes an invoice still open, censored the day before (as
    :func:`training.targets.payment_durations` would have said then)."""
    due_day = issue_day - durations["start"].to_numpy()
    last = cutoff - 1 - due_day
    offset = durations["offset"].to_numpy()
    paid = durations["paid"].to_numpy(dtype=bool) & (offset <= last)
    return durations.assign(offset=np.where(paid, offset, np.minimum(offset, last)), paid=paid)


def _issue_and_due(start: np.ndarray, issue_day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Issue and due dates as ``datetime64[D]`` from issue days and their offsets."""
    return dates_of(issue_day, unit="D"), dates_of(issue_day - start, unit="D")


def band_levels(
    dist: PaymentDistribution, offset: np.ndarray, paid: np.ndarray
) -> tuple[float, float]:
    """The levels ``(q, 1 - q)`` whose quantiles hold :data:`BAND_SHARE` of the payments.

    One level for both ends: learned per end, the upper one (where most invoices are still
    open) wandered from 0.835 to 0.87 between simulated ledgers. Counted as
    :func:`training.metrics.time_metrics` counts the coverage: an invoice still open counts
    only once it is certainly past the upper end; whole days, so a payment on the very day
    of an end is inside.
    """
    held = []
    for q in LEVELS:
        lo = dist.quantile(q)
        hi = dist.quantile(1.0 - q)
        hi = np.where(np.isnan(hi), np.inf, hi)
        decided = paid | (offset >= hi)
        inside = paid & (offset >= lo) & (offset <= hi)
        held.append(inside.sum() / max(decided.sum(), 1))
    q = float(LEVELS[int(np.argmin(np.abs(np.array(held) - BAND_SHARE)))])
    return q, round(1.0 - q, 3)
