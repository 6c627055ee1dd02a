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
from training.late_payment import (
    DEFAULT_PARAMS,
    CenteredIsotonic,
    LatePaymentModel,
    SigmoidCalibrator,
    bucket_probabilities,
    calibrated,
    held_back_raw,
    time_slices,
)
from training.targets import late_outcome


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1 - p))


def _in_time_order(
    x: pd.DataFrame, y: pd.Series, order: pd.Series
) -> tuple[pd.DataFrame, np.ndarray]:
    """Rows sorted by issue date, as the model holds slices back."""
    ranked = np.argsort(order.to_numpy(), kind="stable")
    return x.iloc[ranked], y.astype(int).to_numpy()[ranked]


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


def test_held_back_slices_stop_the_boosting_and_calibrate(
    model: LatePaymentModel, labelled: tuple[pd.DataFrame, pd.Series, pd.Series]
) -> None:
    x, y, order = labelled
    # Every held-back slice stopped its booster early, at its best round; the served
    # booster keeps the folds' mean number of trees.
    assert len(model.fold_trees_) == 5
    most = DEFAULT_PARAMS["n_estimators"]
    assert isinstance(most, int)
    assert all(0 < trees < most for trees in model.fold_trees_)
    assert model.booster_.n_estimators == round(np.mean(model.fold_trees_))
    # The calibration learned on the held-back predictions of the whole period: it keeps
    # their mean (isotonic) or close to it (Platt), i.e. the training period's late rate.
    sorted_x, labels = _in_time_order(x, y, order)
    held = held_back_raw(sorted_x, labels, model.params_for(x.columns), 5)
    assert held is not None
    raw, trees = held
    assert trees == model.fold_trees_
    assert model.calibrator_.predict(raw).mean() == pytest.approx(labels.mean(), abs=2e-3)
    everyone = model.raw_proba(x)
    assert _never_inverts(everyone, model.predict_proba(x)[:, 1])
    assert not np.allclose(everyone, model.predict_proba(x)[:, 1], atol=1e-3)


@pytest.mark.parametrize(
    ("feature", "direction"), [("hist_share_late", 1), ("hist_paydays_in_term", -1)]
)
def test_the_risk_moves_with_a_feature_the_registered_way(
    model: LatePaymentModel, split: Split, feature: str, direction: int
) -> None:
    rows = split.x_test.dropna(subset=[feature]).head(40)
    grid = np.linspace(0.0, 1.0, 11)
    raw = np.column_stack([model.raw_proba(rows.assign(**{feature: v})) for v in grid])
    steps = direction * np.diff(raw, axis=1)
    assert np.all(steps >= -1e-12)  # never the wrong way, for any invoice
    assert steps.sum() > 0.01  # and the feature does move it


def test_time_slices_are_consecutive_and_cover_every_row() -> None:
    slices = time_slices(11, 3)
    assert [list(s) for s in slices] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10]]


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
    """Two features; the late rate rises over time, so each slice has its own rate."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    t = np.arange(n) / n
    p = 1 / (1 + np.exp(-(1.5 * x["a"] - 0.5 + 1.5 * t)))
    y = pd.Series((rng.random(n) < p).astype(float))
    order = pd.Series(pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n) // 10, unit="D"))
    shuffled = rng.permutation(n)  # the model must put the rows in time order by their date
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


def test_centred_isotonic_on_many_held_back_invoices() -> None:
    x, y, order = _synthetic(5000)
    model = LatePaymentModel(FAST).fit(x, y, order)
    assert isinstance(model.calibrator_, CenteredIsotonic)
    sorted_x, labels = _in_time_order(x, y, order)
    held = held_back_raw(sorted_x, labels, FAST, 5)
    assert held is not None
    raw, _ = held
    # It learns on all the held-back predictions, whose late rate is the whole period's,
    # not the latest slice's, and keeps that rate.
    latest = time_slices(5000, 5)[-1]
    assert labels[latest].mean() > labels.mean() + 0.05
    assert model.calibrator_.predict(raw).mean() == pytest.approx(labels.mean(), abs=0.01)
    # Its points are the isotonic steps' centres: one per step, at the mean score the step
    # pooled, with the step's rate of late invoices.
    steps = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, labels)
    level = steps.predict(raw)
    assert len(model.calibrator_.y_) == len(np.unique(level))
    top = level == level.max()
    assert model.calibrator_.x_[-1] == pytest.approx(raw[top].mean())
    assert model.calibrator_.y_[-1] == pytest.approx(labels[top].mean())
    # Unlike the steps, it tells apart every two invoices between its first and last
    # centre, in the booster's order: no tie left for the worklist to settle by chance.
    served = model.predict_proba(x)[:, 1]
    inside = (model.raw_proba(x) > model.calibrator_.x_[0]) & (
        model.raw_proba(x) < model.calibrator_.x_[-1]
    )
    ranked = np.argsort(model.raw_proba(x)[inside])
    distinct = np.diff(model.raw_proba(x)[inside][ranked]) > 1e-12
    assert np.all(np.diff(served[inside][ranked])[distinct] > 0)
    assert len(np.unique(served)) > 3 * len(np.unique(steps.predict(model.raw_proba(x))))
    assert calibrated(model.calibrator_, raw) == pytest.approx(model.calibrator_.predict(raw))
    # Each held-back prediction comes from a booster that did not learn on its slice, not
    # from the served booster, which learned on every invoice.
    first = time_slices(5000, 5)[0]
    assert not np.allclose(raw[first], model.raw_proba(sorted_x.iloc[first]))


def test_models_registered_with_plain_isotonic_steps_still_read_them() -> None:
    x, y, order = _synthetic(5000)
    sorted_x, labels = _in_time_order(x, y, order)
    held = held_back_raw(sorted_x, labels, FAST, 5)
    assert held is not None
    raw, _ = held
    steps = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, labels)
    # Read off the steps with np.interp: exactly what predict gives, clipped beyond.
    probe = np.concatenate([raw, np.linspace(-0.5, 1.5, 101)])
    np.testing.assert_allclose(calibrated(steps, probe), steps.predict(probe), atol=1e-15)


def test_sigmoid_on_few_held_back_invoices_and_identity_on_too_few() -> None:
    x, y, order = _synthetic(800)
    platt = LatePaymentModel(FAST).fit(x, y, order)  # 800 held back: under 5,000
    assert isinstance(platt.calibrator_, SigmoidCalibrator)
    raw = platt.raw_proba(x)
    served = platt.predict_proba(x)[:, 1]
    # Platt scaling is strictly increasing: distinct scores stay distinct, in order.
    ranked = np.argsort(raw)
    distinct = np.diff(raw[ranked]) > 1e-9
    assert np.all(np.diff(served[ranked])[distinct] > 0)
    # Slices under 50 invoices: nothing held back, the booster's own probabilities.
    tiny = LatePaymentModel(FAST, calibration_folds=20).fit(x, y, order)
    assert tiny.fold_trees_ == []
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
