"""The late-payment model: calibrated probabilities, explanations and bucket probabilities."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.isotonic import IsotonicRegression

from training.dataset import Split
from training.late_payment import LatePaymentModel, SigmoidCalibrator, bucket_probabilities
from training.targets import late_outcome


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1 - p))


def _held_back(order: pd.Series, share: float = 0.2) -> np.ndarray:
    """Positions of the latest ``share`` of rows: the slice the model calibrates on."""
    ranked = np.argsort(order.to_numpy(), kind="stable")
    return ranked[len(order) - int(len(order) * share) :]


def _never_inverts(raw: np.ndarray, calibrated: np.ndarray) -> bool:
    """Calibration keeps the ranking: a higher raw score never gets a lower probability."""
    ranked = np.argsort(raw, kind="stable")
    return bool(np.all(np.diff(calibrated[ranked]) >= -1e-12))


# --- on the simulated ledger ---------------------------------------------------------


@pytest.fixture(scope="module")
def labelled(split: Split) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Training invoices whose outcome was known at the cut-off: features, late, issue date."""
    y = late_outcome(split.train, split.cutoff)
    known = y.notna().to_numpy()
    return split.x_train[known], y[known], split.train["issue_date"][known]


@pytest.fixture(scope="module")
def model(labelled: tuple[pd.DataFrame, pd.Series, pd.Series]) -> LatePaymentModel:
    """The late-payment model as ``fit_models`` fits it."""
    return LatePaymentModel().fit(*labelled)


def test_probabilities_are_probabilities(model: LatePaymentModel, split: Split) -> None:
    proba = model.predict_proba(split.x_test)
    assert proba.shape == (len(split.x_test), 2)
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert np.array_equal(model.predict(split.x_test), (proba[:, 1] >= 0.5).astype(int))
    assert proba[:, 1].std() > 0.02  # it tells invoices apart
    assert model.feature_names_in_ == list(split.x_train.columns)


def test_the_latest_slice_stops_the_boosting_and_calibrates(
    model: LatePaymentModel, labelled: tuple[pd.DataFrame, pd.Series, pd.Series]
) -> None:
    x, y, order = labelled
    held = _held_back(order)
    assert len(held) < 1000  # a small ledger: Platt scaling, not isotonic steps
    assert isinstance(model.calibrator_, SigmoidCalibrator)
    # Stopped early, at its best round on the held-back slice.
    assert 0 < model.booster_.best_iteration_ < model.booster_.n_estimators
    # Fitted on the held-back slice (the latest invoices), a logistic calibration matches
    # the late rate of that slice on average; the earlier invoices have another rate.
    p = model.predict_proba(x.iloc[held])[:, 1]
    assert p.mean() == pytest.approx(y.iloc[held].mean(), abs=1e-3)
    raw = model.raw_proba(x)
    assert _never_inverts(raw, model.predict_proba(x)[:, 1])
    assert not np.allclose(raw, model.predict_proba(x)[:, 1], atol=1e-3)


def test_contributions_add_up_to_the_boosters_log_odds(
    model: LatePaymentModel, split: Split
) -> None:
    x = split.x_test.head(60)
    contributions = model.contributions(x)
    assert contributions.shape == (60, x.shape[1] + 1)
    np.testing.assert_allclose(contributions.sum(axis=1), _logit(model.raw_proba(x)), atol=1e-6)
    # The bias (last column) is the same for every invoice; the features make the rest.
    assert np.ptp(contributions[:, -1]) == pytest.approx(0.0, abs=1e-9)
    assert np.abs(contributions[:, :-1]).sum() > 0
    # A few invoices at a time (served one by one) get the same explanation.
    np.testing.assert_allclose(model.contributions(x.head(3)), contributions[:3], atol=1e-9)


# --- the three calibrations, on synthetic data ----------------------------------------


def _synthetic(n: int, seed: int = 0) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Two features; the late rate rises over time, so the latest slice differs."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    t = np.arange(n) / n
    p = 1 / (1 + np.exp(-(1.5 * x["a"] - 0.5 + 1.5 * t)))
    y = pd.Series((rng.random(n) < p).astype(float))
    order = pd.Series(pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n) // 10, unit="D"))
    shuffled = rng.permutation(n)  # the model must find the latest rows by their date
    return (
        x.iloc[shuffled].reset_index(drop=True),
        y.iloc[shuffled].reset_index(drop=True),
        order.iloc[shuffled].reset_index(drop=True),
    )


FAST: dict[str, object] = {
    "n_estimators": 60,
    "learning_rate": 0.1,
    "num_leaves": 7,
    "verbosity": -1,
    "n_jobs": 1,
}
"""A small booster: these tests are about the calibration, not the trees."""


def test_isotonic_on_a_large_held_back_slice() -> None:
    x, y, order = _synthetic(5000)
    model = LatePaymentModel(FAST, calibration_share=0.25).fit(x, y, order)
    assert isinstance(model.calibrator_, IsotonicRegression)
    held = _held_back(order, 0.25)
    assert len(held) == 1250
    # Isotonic regression preserves the mean of what it is fitted on: the latest slice,
    # whose late rate is well above the earlier invoices'.
    assert y.iloc[held].mean() > y.mean() + 0.05
    assert model.predict_proba(x.iloc[held])[:, 1].mean() == pytest.approx(y.iloc[held].mean())
    raw = model.raw_proba(x)
    assert _never_inverts(raw, model.predict_proba(x)[:, 1])


def test_sigmoid_on_a_small_slice_and_identity_on_none() -> None:
    x, y, order = _synthetic(1000)
    platt = LatePaymentModel(FAST).fit(x, y, order)  # 200 held back
    assert isinstance(platt.calibrator_, SigmoidCalibrator)
    held = _held_back(order)
    p = platt.predict_proba(x.iloc[held])[:, 1]
    assert p.mean() == pytest.approx(y.iloc[held].mean(), abs=1e-3)
    raw = platt.raw_proba(x)
    calibrated = platt.predict_proba(x)[:, 1]
    # Platt scaling is strictly increasing: distinct scores stay distinct, in order.
    ranked = np.argsort(raw)
    distinct = np.diff(raw[ranked]) > 1e-9
    assert np.all(np.diff(calibrated[ranked])[distinct] > 0)
    # Fewer than 50 held back: no early stopping, the booster's own probabilities.
    tiny = LatePaymentModel(FAST, calibration_share=0.04).fit(x, y, order)
    np.testing.assert_allclose(tiny.predict_proba(x)[:, 1], tiny.raw_proba(x))


def test_fit_needs_both_outcomes() -> None:
    x, _, order = _synthetic(200)
    with pytest.raises(ValueError, match="late and on-time"):
        LatePaymentModel(FAST).fit(x, pd.Series(np.zeros(200)), order)


# --- bucket probabilities ------------------------------------------------------------


def test_bucket_probabilities_by_hand() -> None:
    p_late = np.array([0.4, 0.3])
    time_buckets = np.array([[0.5, 0.3, 0.1, 0.1, 0.0], [1.0, 0.0, 0.0, 0.0, 0.0]])
    # The payment-time model splits its late mass 0.5 as 0.6 / 0.2 / 0.2 / 0; with none
    # late, the 0.3 is split evenly.
    assert bucket_probabilities(p_late, time_buckets) == pytest.approx(
        np.array([[0.6, 0.24, 0.08, 0.08, 0.0], [0.7, 0.075, 0.075, 0.075, 0.075]])
    )


@settings(max_examples=50, deadline=None)
@given(
    p_late=hnp.arrays(np.float64, 4, elements=st.floats(0.0, 1.0)),
    raw=hnp.arrays(np.float64, (4, 5), elements=st.floats(0.0, 1.0)),
)
def test_late_buckets_add_up_to_p_late(p_late: np.ndarray, raw: np.ndarray) -> None:
    total = raw.sum(axis=1, keepdims=True)
    time_buckets = np.where(total > 0, raw / np.where(total > 0, total, 1.0), 0.2)
    got = bucket_probabilities(p_late, time_buckets)
    assert np.all(got >= 0)
    np.testing.assert_allclose(got.sum(axis=1), 1.0)
    np.testing.assert_allclose(got[:, 1:].sum(axis=1), p_late, atol=1e-12)
    np.testing.assert_allclose(got[:, 0], 1 - p_late)
