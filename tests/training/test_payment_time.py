"""The payment-time hazard model: its rows, its distributions, and why open invoices stay in."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ledger.days import NEVER, dates_of
from training.dataset import Split
from training.evaluation import censoring_check
from training.payment_time import (
    N_PERIODS,
    PaymentDistribution,
    PaymentTimeModel,
    band_levels,
    censored_at,
    period_of,
    period_rows,
)
from training.targets import payment_durations

# --- invoice × period rows ------------------------------------------------------------
# Periods end at EDGES = -30, -14, -7, -3, 0, 3, 7, 14, ... 365 days from the due date:
# period 0 holds offsets up to -30, period 4 (-3, 0], period 6 (3, 7], period 18 (240, 365].


def test_period_rows_by_hand() -> None:
    durations = pd.DataFrame(
        [
            (5, True, -30),  # paid 5 days late: at risk in periods 0-6, paid in 6
            (9, False, -30),  # open, known unpaid through day 9: 0-6, not 7 (running)
            (400, True, -30),  # paid past the horizon: 0-18, never an event
            (0, True, -10),  # paid on the due date, issued in period 2: 2-4, paid in 4
            (7, False, -30),  # open through day 7, the end of period 6: 0-6
            (500, False, -30),  # open past the horizon: 0-18
            (-9, False, -10),  # issued yesterday: period 2 still running, no row at all
        ],
        columns=["offset", "paid", "start"],
        index=[70, 60, 50, 40, 30, 20, 10],
    )
    x = pd.DataFrame({"f": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]}, index=durations.index)
    rows, event = period_rows(x, durations)
    expected = (
        [(1.0, k, int(k == 6)) for k in range(7)]
        + [(2.0, k, 0) for k in range(7)]
        + [(3.0, k, 0) for k in range(19)]
        + [(4.0, k, int(k == 4)) for k in (2, 3, 4)]
        + [(5.0, k, 0) for k in range(7)]
        + [(6.0, k, 0) for k in range(19)]
    )
    got = list(zip(rows["f"], rows["period"].astype(int), event.tolist(), strict=True))
    assert got == expected
    assert list(rows.index) == list(range(len(expected)))
    # Days from the issue date to each period's end: period 0 ends on the issue date of an
    # invoice issued 30 days before its due date; for the one issued 10 days before, the
    # periods 2-4 end 3, 7 and 10 days after it.
    assert rows["period_days_after_issue"].tolist()[:7] == [0, 16, 23, 27, 30, 33, 37]
    assert rows["period_days_after_issue"].tolist()[33:36] == [3, 7, 10]


def test_fit_needs_paid_and_unpaid_periods() -> None:
    x = pd.DataFrame({"f": [1.0, 2.0]})
    all_open = pd.DataFrame({"offset": [40, 50], "paid": [False, False], "start": [-30, -30]})
    with pytest.raises(ValueError, match="both paid and unpaid"):
        PaymentTimeModel().fit(x, all_open)


# --- distributions from given hazards ------------------------------------------------


class _Hazards:
    """Stands for the classifier and its LightGBM booster: the given hazard of each
    invoice × period row (column 0, the feature ``f``, holds the invoice's position; the
    period is the next-to-last column); remembers the periods it was asked."""

    pandas_categorical = None

    def __init__(self, hazards: np.ndarray) -> None:
        self.hazards = hazards
        self.asked: list[int] = []
        self.booster_ = self

    def predict(self, rows: np.ndarray, num_threads: int = 0) -> np.ndarray:
        period = rows[:, -2].astype(int)
        self.asked += period.tolist()
        return np.asarray(self.hazards[rows[:, 0].astype(int), period])


def _distribution_and_periods(
    hazards: np.ndarray,
    issue: list[str],
    due: list[str],
    open_at: list[str] | None = None,
    until: list[str] | None = None,
) -> tuple[PaymentDistribution, list[int]]:
    """The model's distributions on the given hazards, and the periods it predicted."""
    model = PaymentTimeModel()
    stub = _Hazards(hazards)
    model.booster_ = stub  # type: ignore[assignment]
    x = pd.DataFrame({"f": np.arange(len(hazards), dtype="float64")})

    def dates(values: list[str]) -> pd.Series:
        return pd.Series(pd.to_datetime(values))

    dist = model.distribution(
        x,
        dates(issue),
        dates(due),
        None if open_at is None else dates(open_at),
        None if until is None else dates(until),
    )
    return dist, stub.asked


def _distribution(
    hazards: np.ndarray,
    issue: list[str],
    due: list[str],
    open_at: list[str] | None = None,
) -> PaymentDistribution:
    return _distribution_and_periods(hazards, issue, due, open_at)[0]


def _hand_hazards() -> np.ndarray:
    """Half pay in (-3, 0], half the rest in (0, 3], all the rest in (3, 7]."""
    h = np.zeros((1, N_PERIODS))
    h[0, 4], h[0, 5], h[0, 6] = 0.5, 0.5, 1.0
    return h


def test_distribution_from_hazards_by_hand() -> None:
    # Issued 2024-03-31, due 2024-04-30 (30 days): survival 1 up to day -3, then 0.5 at the
    # due date, 0.25 three days after, 0 at day 7; linear in between.
    dist = _distribution(_hand_hazards(), ["2024-03-31"], ["2024-04-30"])
    offsets = np.array([-31.0, -3.0, 0.0, 1.5, 3.0, 7.0, 100.0])
    got = [dist.paid_by(np.array([o]))[0] for o in offsets]
    assert got == pytest.approx([0.0, 0.0, 0.5, 0.625, 0.75, 1.0, 1.0])
    # P10: 0.1 of the 0.5 paid over (-3, 0] -> -3 + 0.2 × 3 = -2.4, rounded up to -2.
    # P50: reached at the due date. P90: 0.75 at day 3, 1 at day 7: 3 + 0.6 × 4 = 5.4 -> 6.
    assert dist.quantile(0.1).tolist() == [-2.0]
    assert dist.quantile(0.5).tolist() == [0.0]
    assert dist.quantile(0.9).tolist() == [6.0]
    # Mass 0.5 over days -2..0 (mean -1), 0.25 over 1..3 (mean 2), 0.25 over 4..7 (5.5).
    assert dist.expected_offset() == pytest.approx([-0.5 + 0.5 + 1.375])
    assert dist.bucket_probabilities() == pytest.approx(np.array([[0.5, 0.5, 0, 0, 0]]))
    assert dist.dates(dist.quantile(0.9)).tolist() == [pd.Timestamp("2024-05-06")]
    assert dist.issue_offset.tolist() == [-30]


def test_offsets_become_dates_through_the_day_numbers() -> None:
    # Due 2024-04-30 (day 19843): offset 6 is 2024-05-06, an offset past the horizon (NaN)
    # no date; the same as ledger.days.dates_of of the day numbers.
    dist = _distribution(np.tile(_hand_hazards(), (2, 1)), ["2024-03-31"] * 2, ["2024-04-30"] * 2)
    offsets = np.array([6.0, np.nan])
    assert dist.due_day.tolist() == [19_843, 19_843]
    assert dist.days(offsets).dtype == np.dtype("datetime64[D]")
    assert pd.Series(dist.days(offsets)).equals(pd.Series(dates_of([19_849, NEVER], unit="D")))
    assert dist.dates(offsets).tolist()[0] == pd.Timestamp("2024-05-06")
    assert pd.isna(dist.dates(offsets).tolist()[1])


def test_distribution_given_still_open_by_hand() -> None:
    # Still open on 2024-05-02: not paid through day 1, where survival is 0.5 - 0.25 / 3.
    dist = _distribution(_hand_hazards(), ["2024-03-31"], ["2024-04-30"], ["2024-05-02"])
    base = 0.5 - 0.25 / 3
    at = [dist.paid_by(np.array([o]))[0] for o in (-10.0, 1.0, 2.0, 3.0, 7.0)]
    assert at == pytest.approx([0.0, 0.0, 1 - (base - 0.25 / 3) / base, 1 - 0.25 / base, 1.0])
    # Conditional cdf 0.4 at day 3, 1 at day 7: P50 = 3 + (0.1 / 0.6) × 4 = 3.67 -> 4.
    assert dist.quantile(0.5).tolist() == [4.0]
    assert dist.quantile(0.1).tolist() == [2.0]  # 1 + 0.25 × 2 = 1.5 -> 2
    # Mass 0.4 over days 2..3 (mean 2.5) and 0.6 over days 4..7 (mean 5.5).
    assert dist.expected_offset() == pytest.approx([0.4 * 2.5 + 0.6 * 5.5])
    assert dist.bucket_probabilities() == pytest.approx(np.array([[0, 1, 0, 0, 0]]))


def test_periods_ended_before_open_at_are_not_predicted_and_change_nothing() -> None:
    # Given open on day `seen`, P(not paid by t) = S(t) / S(seen): the earlier periods
    # cancel out, so the model skips them. The answer is the ratio of the full curve's.
    h = np.random.default_rng(3).uniform(0.05, 0.6, (4, N_PERIODS))
    issue, due = ["2024-03-01"] * 4, ["2024-04-30"] * 4
    open_at = ["2024-04-20", "2024-05-02", "2024-06-15", "2024-09-30"]
    full = _distribution(h, issue, due)
    given, asked = _distribution_and_periods(h, issue, due, open_at)
    seen = (pd.to_datetime(open_at) - pd.Timestamp("2024-04-30")).days.to_numpy() - 1.0
    assert min(asked) == period_of(np.array([seen.min()]))[0] > 0
    for t in (-5.0, 0.0, 3.0, 20.0, 45.0, 100.0, 200.0, 400.0):
        ts = np.maximum(np.full(4, t), seen)
        expected = full.survival_at(ts) / full.survival_at(seen)
        np.testing.assert_allclose(given.survival_at(np.full(4, t)), expected, atol=1e-12)


def test_periods_starting_after_until_are_not_predicted_and_change_nothing_before_it() -> None:
    # The forecast reads the curves up to its horizon only: the periods after it are not
    # predicted, and the curves up to it are those of the whole model.
    h = np.random.default_rng(5).uniform(0.05, 0.6, (4, N_PERIODS))
    issue, due = ["2024-03-01"] * 4, ["2024-04-30"] * 4
    open_at = ["2024-04-20", "2024-05-02", "2024-06-15", "2024-09-30"]
    until = ["2024-06-01", "2024-08-10", "2024-12-31", "2026-01-01"]

    full, every = _distribution_and_periods(h, issue, due, open_at)
    cut, asked = _distribution_and_periods(h, issue, due, open_at, until)
    limit = (pd.to_datetime(until) - pd.Timestamp("2024-04-30")).days.to_numpy().astype(float)
    assert max(asked) == min(period_of(np.array([limit.max()]))[0], N_PERIODS - 1)
    assert len(asked) < len(every)  # fewer invoice × period rows predicted
    for t in (-5.0, 0.0, 20.0, 32.0, 45.0, 100.0, 200.0, 245.0, 400.0):
        ts = np.minimum(np.full(4, t), limit)
        np.testing.assert_allclose(cut.paid_by(ts), full.paid_by(ts), atol=1e-12)


def test_nothing_is_paid_before_the_issue_date() -> None:
    # Issued 10 days before the due date: periods 0 and 1 end before it, whatever the
    # booster says of them.
    h = np.full((1, N_PERIODS), 0.3)
    dist = _distribution(h, ["2024-04-20"], ["2024-04-30"])
    assert dist.paid_by(np.array([-11.0])).tolist() == [0.0]
    assert dist.paid_by(np.array([-7.0])) == pytest.approx([0.3])  # period 2 alone
    assert dist.quantile(0.01).tolist() == [-10.0]  # not before the issue day


def _check_proper(dist: PaymentDistribution, seen: np.ndarray | None = None) -> None:
    """Survival curves that are distributions: monotone, in [0, 1], ordered quantiles."""
    n = len(dist.knots)
    assert np.all(np.diff(dist.knots, axis=1) >= 0)
    assert np.all(np.diff(dist.survival, axis=1) <= 1e-12)
    assert np.all((dist.survival >= 0) & (dist.survival <= 1))
    grid = np.arange(-130, 420, 7)
    paid = np.column_stack([dist.paid_by(np.full(n, g)) for g in grid])
    # A row of offsets per invoice is answered as each offset alone.
    np.testing.assert_array_equal(dist.paid_by(np.tile(grid.astype(float), (n, 1))), paid)
    assert np.all((paid >= 0) & (paid <= 1))
    assert np.all(np.diff(paid, axis=1) >= -1e-12)
    assert np.all(dist.paid_by(dist.issue_offset - 1.0) == 0.0)
    q10, q50, q90 = dist.quantile(0.1), dist.quantile(0.5), dist.quantile(0.9)
    assert np.all(np.isnan(q50[np.isnan(q10)])) and np.all(np.isnan(q90[np.isnan(q50)]))
    assert np.all(q10[~np.isnan(q50)] <= q50[~np.isnan(q50)])
    assert np.all(q50[~np.isnan(q90)] <= q90[~np.isnan(q90)])
    assert np.all(q10[~np.isnan(q10)] >= dist.issue_offset[~np.isnan(q10)])
    buckets = dist.bucket_probabilities()
    assert np.all(buckets >= -1e-12)
    np.testing.assert_allclose(buckets.sum(axis=1), 1.0)
    if seen is not None:  # open through day `seen`: nothing paid by then
        assert np.all(dist.paid_by(seen) == 0.0)
        assert np.all(dist.paid_by(seen - 30.0) == 0.0)
        assert np.all(q10[~np.isnan(q10)] > seen[~np.isnan(q10)])
        expected = dist.expected_offset()
        assert np.all(expected[~np.isnan(expected)] > seen[~np.isnan(expected)])


@settings(max_examples=40, deadline=None)
@given(
    hazards=hnp.arrays(
        np.float64,
        (3, N_PERIODS),
        elements=st.floats(0.0, 1.0, exclude_max=True, allow_subnormal=False),
    ),
    terms=st.lists(st.integers(0, 120), min_size=3, max_size=3),
    open_after_due=st.lists(st.integers(-120, 420), min_size=3, max_size=3),
)
def test_any_hazards_give_proper_distributions(
    hazards: np.ndarray, terms: list[int], open_after_due: list[int]
) -> None:
    due = pd.Timestamp("2024-06-01")
    issue = [(due - pd.Timedelta(days=t)).isoformat() for t in terms]
    # Open at a date on or after the issue date, up to 420 days past the due date.
    open_at = [
        (due + pd.Timedelta(days=max(o, -t))).isoformat()
        for o, t in zip(open_after_due, terms, strict=True)
    ]
    dues = [due.isoformat()] * 3
    plain = _distribution(hazards, issue, dues)
    _check_proper(plain)
    given_open = _distribution(hazards, issue, dues, open_at)
    seen = np.array([max(o, -t) for o, t in zip(open_after_due, terms, strict=True)]) - 1.0
    _check_proper(given_open, seen)
    # Given open through day `seen`, later survival is the plain one divided by S(seen).
    later = seen + 5.0
    s_seen = plain.survival_at(seen)
    ok = s_seen > 1e-300
    np.testing.assert_allclose(
        given_open.survival_at(later)[ok],
        plain.survival_at(later)[ok] / s_seen[ok],
        rtol=1e-9,
        atol=1e-12,
    )


# --- fitted on a simulated ledger ----------------------------------------------------


@pytest.fixture(scope="module")
def model(split: Split) -> PaymentTimeModel:
    """The censoring-aware model fitted on the training side of the shared split."""
    return PaymentTimeModel().fit(split.x_train, payment_durations(split.train, split.cutoff))


def test_fitted_distributions_are_proper(model: PaymentTimeModel, split: Split) -> None:
    test = split.test
    dist = model.distribution(split.x_test, test["issue_date"], test["due_date"])
    _check_proper(dist)
    # Payment-time figures are spread: not every invoice paid at once.
    q50 = dist.quantile(0.5)
    assert np.nanstd(q50) > 1
    days = model.predict(split.x_test.head(200))
    assert np.all(np.isfinite(days) & (days >= 0))


def test_open_invoices_are_not_paid_before_they_are_seen_open(
    model: PaymentTimeModel, split: Split
) -> None:
    durations = payment_durations(split.test, split.end)
    still_open = ~durations["paid"].to_numpy()
    test = split.test[still_open]
    assert len(test) > 50
    open_at = pd.Series(split.end, index=test.index)
    x = split.x_test[still_open]
    dist = model.distribution(x, test["issue_date"], test["due_date"], open_at)
    seen = durations["offset"].to_numpy()[still_open].astype(float)  # the day before the end
    _check_proper(dist, seen)
    p50 = dist.dates(dist.quantile(0.5)).dropna()
    assert (p50 >= split.end).all()


def test_dropping_open_invoices_biases_toward_fast_payment(
    model: PaymentTimeModel, split: Split
) -> None:
    check = censoring_check(split, model)
    observed = check["observed_share_paid"]
    assert check["days_after_due"] == 30
    assert 0.7 < observed < 0.98
    # Only the invoices paid by the cut-off: every payment looks fast.
    assert check["dropping_open"] > check["with_censored"]
    assert check["dropping_open"] > observed
    assert abs(check["dropping_open"] - observed) > abs(check["with_censored"] - observed)


# --- the P10-P90 band, recalibrated out of time ---------------------------------------


def test_durations_as_known_at_an_earlier_cut_by_hand() -> None:
    # Issued on days 100 and 100, due on 130 (start -30). Paid at offsets 5 and 20: on day
    # 135 and 150. Seen on day 140 (cut 141): the first paid, the second open since day 140,
    # offset 10. An invoice already open stays open at its own offset.
    durations = pd.DataFrame(
        {"offset": [5, 20, 8], "paid": [True, True, False], "start": [-30, -30, -30]}
    )
    got = censored_at(durations, np.array([100, 100, 100]), 141)
    assert got["paid"].tolist() == [True, False, False]
    assert got["offset"].tolist() == [5, 10, 8]


def _uniform(n: int, width: float) -> PaymentDistribution:
    """Every invoice paid uniformly over ``width`` days after offset 0."""
    knots = np.tile([0.0, width], (n, 1))
    survival = np.tile([1.0, 0.0], (n, 1))
    return PaymentDistribution(knots, survival, np.zeros(n, "int64"), np.zeros(n, "int64"))


def test_band_levels_narrow_a_band_too_wide_and_keep_a_right_one() -> None:
    rng = np.random.default_rng(0)
    offset = rng.integers(1, 101, 20_000)  # paid uniformly over days 1..100
    paid = np.ones(len(offset), bool)
    # Right curve: days 10..90 (ends included) hold 81 %, 11..89 hold 79 %.
    lo, hi = band_levels(_uniform(len(offset), 100.0), offset, paid)
    assert lo == pytest.approx(0.1, abs=0.006) and hi == pytest.approx(1 - lo)
    # A curve too spread, over 125 days: its q and 1 - q quantiles, days 125 q and
    # 125 (1 - q) >= 100, hold (100 - 125 q) / 100 = 80 % at q = 0.16.
    lo, hi = band_levels(_uniform(len(offset), 125.0), offset, paid)
    assert lo == pytest.approx(0.16, abs=0.006) and hi == pytest.approx(1 - lo)


def test_band_levels_count_the_open_invoices_past_the_upper_end() -> None:
    rng = np.random.default_rng(1)
    offset = rng.integers(1, 101, 20_000)
    paid = offset <= 80  # the slowest fifth still open, seen open on day 81
    offset = np.where(paid, offset, 81)
    _, hi = band_levels(_uniform(len(offset), 100.0), offset, paid)
    # Open invoices are certainly past ends up to day 81: the upper end stays near day 90.
    assert hi > 0.8


def test_a_model_fitted_with_issue_dates_recalibrates_its_band(split: Split) -> None:
    durations = payment_durations(split.train, split.cutoff)
    model = PaymentTimeModel().fit(split.x_train, durations, split.train["issue_date"])
    lo, hi = model.band_levels_
    assert 0.0 < lo < 0.5 < hi < 1.0 and (lo, hi) != (0.1, 0.9)
    test = split.test
    dist = model.distribution(split.x_test, test["issue_date"], test["due_date"])
    p10, p90 = dist.band()
    np.testing.assert_array_equal(p10, dist.quantile(lo))
    np.testing.assert_array_equal(p90, dist.quantile(hi))
    plain = PaymentTimeModel().fit(split.x_train, durations)
    assert plain.band_levels_ == (0.1, 0.9)
